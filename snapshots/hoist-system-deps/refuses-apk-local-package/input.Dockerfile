FROM alpine:3.20
COPY packages/ /tmp/packages/
RUN apk add --no-cache --allow-untrusted /tmp/packages/tool.apk
