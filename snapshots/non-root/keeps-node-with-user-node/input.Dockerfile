FROM node:20
WORKDIR /home/node/app
COPY --chown=node:node . .
RUN npm ci
USER node
CMD ["node", "index.js"]
