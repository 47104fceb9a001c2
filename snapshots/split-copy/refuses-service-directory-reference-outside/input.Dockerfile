FROM node:20
WORKDIR /app
COPY services/api/ ./
RUN npm ci
