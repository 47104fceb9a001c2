FROM golang:1.22-alpine3.20 AS build
RUN apk add --no-cache git
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /usr/local/bin/app ./cmd/app

FROM alpine:3.20
WORKDIR /src
COPY --from=build /usr/local/bin/app /usr/local/bin/app
CMD ["app", "--listen", ":8080"]
