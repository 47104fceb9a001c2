FROM alpine:3.20
COPY --from=tools /bin/python3 /usr/local/bin/python3
RUN apk add --no-cache py3-yaml
