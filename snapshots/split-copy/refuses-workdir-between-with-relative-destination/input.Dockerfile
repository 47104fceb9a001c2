FROM node:20
WORKDIR /app
COPY . ./web
WORKDIR /app/web
RUN npm ci
