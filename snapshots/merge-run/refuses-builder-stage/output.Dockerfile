FROM golang:1.22 AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends protobuf-compiler
RUN go generate ./...
RUN go build -o /out/app .

FROM debian:12-slim
COPY --from=build /out/app /app
RUN ./app --version \
    && ./app --self-test
