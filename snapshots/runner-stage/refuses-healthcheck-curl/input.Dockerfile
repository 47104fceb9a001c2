FROM golang:1.22
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /bin/app .
HEALTHCHECK CMD curl -f http://localhost:8080/health || exit 1
CMD ["/bin/app"]
