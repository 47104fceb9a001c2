FROM oven/bun:1
WORKDIR /app
RUN bun install --cache-dir .bun-cache
