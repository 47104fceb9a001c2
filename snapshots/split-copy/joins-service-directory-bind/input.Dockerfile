FROM node:20
WORKDIR /app
COPY services/api/ ./
RUN npm ci
CMD ["node", "server.js"]
