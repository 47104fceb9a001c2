FROM debian:12-slim
# tools the entrypoint needs
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
CMD ["./run.sh"]
