FROM debian:12
COPY run.sh /usr/local/bin/run.sh
RUN chmod 0755 /usr/local/bin/run.sh \
    && apt-get update \
    && apt-get install -y --no-install-recommends curl
