FROM node:22-slim
WORKDIR /app
COPY . .
RUN corepack enable && yarn install --immutable
