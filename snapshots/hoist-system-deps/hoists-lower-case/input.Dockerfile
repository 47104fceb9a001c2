from alpine:3.20
workdir /app
copy . .
run apk add --no-cache curl
