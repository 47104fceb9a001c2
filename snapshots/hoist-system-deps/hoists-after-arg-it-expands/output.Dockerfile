FROM alpine:3.20
ARG CURL_VERSION=8.9.1-r0
RUN apk add --no-cache "curl=${CURL_VERSION}"
WORKDIR /app
COPY . .
