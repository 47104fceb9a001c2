# syntax=docker/dockerfile:1
FROM oven/bun:1
WORKDIR /app
COPY package.json bun.lock ./
RUN --mount=type=cache,target=/root/.bun/install/cache bun install --frozen-lockfile
