FROM debian:12
COPY run.sh /usr/local/bin/
RUN sed -i s/a/b/ /usr/local/bin/run.sh && chmod +x /usr/local/bin/run.sh
