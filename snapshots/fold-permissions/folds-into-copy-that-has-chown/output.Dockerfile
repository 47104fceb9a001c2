FROM node:20-slim
WORKDIR /home/node
COPY --chmod=640 --chown=node:node server.js ./
USER node
