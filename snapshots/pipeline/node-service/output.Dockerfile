# syntax=docker/dockerfile:1
FROM node:20
# native modules need a compiler
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update && apt-get install -oDir::Cache::Archives=/var/cache/apt/kept/ -y --no-install-recommends build-essential python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build
EXPOSE 3000
USER 1001
CMD ["node", "dist/server.js"]
