# syntax=docker/dockerfile:1
FROM node:22-slim
USER node
WORKDIR /home/node/app
COPY --chown=node:node package*.json ./
RUN --mount=type=cache,target=/home/node/.npm,uid=1000,gid=1000 npm ci
