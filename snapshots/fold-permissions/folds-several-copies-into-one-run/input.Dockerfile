FROM debian:12
COPY start.sh /usr/local/bin/
COPY stop.sh /usr/local/bin/
LABEL org.opencontainers.image.title=svc
RUN chmod u+x,g+x /usr/local/bin/start.sh /usr/local/bin/stop.sh
