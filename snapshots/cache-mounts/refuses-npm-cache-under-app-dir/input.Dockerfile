FROM node:22-slim
ENV npm_config_cache=/app/.npm
COPY . /app
WORKDIR /app
RUN npm ci
