FROM golang:1.22-alpine AS build
RUN apk add --no-cache git make
WORKDIR /src
COPY go.mod go.sum ./
COPY . .
RUN make build
