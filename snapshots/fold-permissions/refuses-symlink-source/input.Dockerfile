FROM debian:12
COPY current /usr/local/bin/
RUN chmod +x /usr/local/bin/current
