FROM node:20
USER node
WORKDIR /home/node/app
COPY --chown=node:node --chmod=644 . .
RUN npm ci
