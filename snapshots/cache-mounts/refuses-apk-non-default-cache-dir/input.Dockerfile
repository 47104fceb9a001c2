FROM alpine:3.20
RUN apk add --cache-dir /tmp/apk curl
