FROM oven/bun:1
WORKDIR /app
COPY package.json bun.lockb bunfig.toml ./
RUN bun install --frozen-lockfile
COPY . .
CMD ["bun", "run", "src/server.ts"]
