FROM node:20 AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci --ignore-scripts
COPY . .

FROM node:20-slim
WORKDIR /app
COPY --from=build /app /app
CMD ["node", "server.js"]
