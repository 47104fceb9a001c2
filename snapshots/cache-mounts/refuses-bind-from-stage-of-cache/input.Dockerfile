FROM golang:1.22 AS deps
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download

FROM alpine:3.19
RUN --mount=type=bind,from=deps,source=/go/pkg/mod,target=/mod ls /mod > /modules.txt
