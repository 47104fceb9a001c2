FROM debian:12
COPY --chmod=755 run.sh /usr/local/bin/run.sh
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl
