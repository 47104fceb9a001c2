FROM node:20
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
COPY config.yml /etc/myapp/config.yml
CMD ["node", "server.js"]
