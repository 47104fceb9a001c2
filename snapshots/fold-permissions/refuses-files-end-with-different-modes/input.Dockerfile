FROM debian:12
COPY a.sh b.sh /usr/local/bin/
RUN chmod +x /usr/local/bin/a.sh /usr/local/bin/b.sh
