FROM debian:12
COPY run.sh /usr/local/bin/
RUN chmod 1777 /var/tmp \
    # then the script
    && chmod +x /usr/local/bin/run.sh
