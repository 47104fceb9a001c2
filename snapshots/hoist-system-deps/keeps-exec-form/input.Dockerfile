FROM alpine:3.20
WORKDIR /app
COPY . .
RUN ["apk", "add", "--no-cache", "curl"]
