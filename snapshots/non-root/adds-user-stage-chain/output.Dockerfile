FROM alpine:3.20 AS base
RUN apk add --no-cache tzdata

FROM base
COPY app /usr/local/bin/app
USER 1001
CMD ["app"]
