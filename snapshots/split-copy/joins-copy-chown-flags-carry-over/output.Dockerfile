FROM node:20
USER node
WORKDIR /home/node/app
COPY --chown=node:node --chmod=644 package.json package-lock.json ./
RUN npm ci
COPY --chown=node:node --chmod=644 . .
