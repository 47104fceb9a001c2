FROM node:20
RUN npm config set cache /opt/npm-cache --global
WORKDIR /app
COPY package*.json ./
RUN npm ci
