FROM debian:12
COPY run.sh /usr/local/bin/
RUN mkdir -p /data && chmod 777 /data
