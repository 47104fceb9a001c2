FROM alpine:3.20
ARG CURL_VERSION=8.9.1-r0
WORKDIR /app
COPY . .
RUN apk add --no-cache "curl=${CURL_VERSION}"
