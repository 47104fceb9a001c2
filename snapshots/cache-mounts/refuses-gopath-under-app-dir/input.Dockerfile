FROM golang:1.23
ENV GOPATH=/app/go
COPY . /app
WORKDIR /app
RUN go build -o /bin/app .
