FROM debian:12
COPY --chmod=644 run.sh /usr/local/bin/
RUN chmod +x /usr/local/bin/run.sh
