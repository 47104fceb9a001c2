# escape=`
FROM debian:12
COPY run.sh /usr/local/bin/
RUN chmod +x /usr/local/bin/run.sh `
    && echo ok
