FROM debian:bookworm-slim
USER root
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY server /usr/local/bin/server
USER 1001
ENTRYPOINT ["/usr/local/bin/server"]
