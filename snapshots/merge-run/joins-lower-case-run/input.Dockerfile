from alpine:3.19
run apk add --no-cache git
run git --version
