FROM debian:12
COPY run.sh /usr/local/bin/
RUN /usr/local/bin/run.sh --init
RUN chmod +x /usr/local/bin/run.sh
