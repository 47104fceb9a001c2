FROM debian:12-slim
WORKDIR /app
COPY . .
# tools the entrypoint needs
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl ca-certificates \
    && rm -rf /var/lib/apt/lists/*
CMD ["./run.sh"]
