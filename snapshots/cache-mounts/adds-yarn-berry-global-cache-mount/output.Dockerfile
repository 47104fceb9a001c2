# syntax=docker/dockerfile:1
FROM node:22-slim
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.yarn/berry/cache corepack enable && yarn install --immutable
