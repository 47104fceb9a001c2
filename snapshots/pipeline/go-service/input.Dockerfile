FROM golang:1.22
WORKDIR /src
COPY . .
RUN go build -o /bin/api ./cmd/api
EXPOSE 8080
CMD ["/bin/api"]
