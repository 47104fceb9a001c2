FROM node:22-slim
WORKDIR /app
RUN yarn install
