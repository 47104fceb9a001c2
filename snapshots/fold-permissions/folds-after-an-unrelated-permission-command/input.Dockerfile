FROM debian:12
COPY run.sh /usr/local/bin/
RUN chmod 1777 /var/tmp && chmod a+rx /usr/local/bin/run.sh
