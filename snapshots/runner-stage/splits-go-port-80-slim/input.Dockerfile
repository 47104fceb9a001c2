FROM golang:1.22-bookworm
WORKDIR /src
COPY . .
RUN go build -o /bin/server .
EXPOSE 80
CMD ["/bin/server"]
