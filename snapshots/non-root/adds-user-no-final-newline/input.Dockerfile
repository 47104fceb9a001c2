FROM alpine:3.20
RUN apk add --no-cache curl
COPY run.sh /usr/local/bin/run.sh