FROM golang:1.22-alpine3.20
RUN apk add --no-cache git
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /usr/local/bin/app ./cmd/app
CMD ["app", "--listen", ":8080"]
