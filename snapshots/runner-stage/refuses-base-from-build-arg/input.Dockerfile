ARG GO_VERSION=1.22
FROM golang:${GO_VERSION}
WORKDIR /src
COPY . .
RUN go build -o /bin/app .
CMD ["/bin/app"]
