FROM golang:1.22
WORKDIR /src
COPY . .
RUN go mod download && go build -o /usr/local/bin/app ./...
