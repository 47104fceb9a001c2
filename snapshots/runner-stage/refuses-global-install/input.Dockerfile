FROM node:20
WORKDIR /app
COPY . .
RUN npm install -g pm2 && npm ci
CMD ["pm2-runtime", "server.js"]
