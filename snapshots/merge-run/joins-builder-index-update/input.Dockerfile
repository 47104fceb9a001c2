FROM golang:1.22 AS build
RUN apt-get update
RUN apt-get install -y --no-install-recommends protobuf-compiler

FROM debian:12-slim
COPY --from=build /go/bin /usr/local/bin
