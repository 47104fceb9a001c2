FROM alpine:3.20
WORKDIR /app
COPY . .
COPY keys/ /etc/apk/keys/
RUN apk add --no-cache internal-tool
