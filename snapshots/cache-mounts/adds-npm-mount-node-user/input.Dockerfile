FROM node:22-slim
USER node
WORKDIR /home/node/app
COPY --chown=node:node package*.json ./
RUN npm ci && npm cache clean --force
