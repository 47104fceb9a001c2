FROM node:20-slim
WORKDIR /home/node
COPY --chown=node:node server.js ./
RUN chmod 640 server.js
USER node
