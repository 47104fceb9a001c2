FROM debian:12
COPY --chmod=754 start.sh /usr/local/bin/
COPY --chmod=754 stop.sh /usr/local/bin/
LABEL org.opencontainers.image.title=svc
