FROM node:20
WORKDIR /app
COPY . .
COPY config/prod.json ./config.json
RUN npm ci
