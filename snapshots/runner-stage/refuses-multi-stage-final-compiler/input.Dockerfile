FROM node:20-slim AS deps
WORKDIR /app
COPY package*.json ./

FROM node:20-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++
WORKDIR /app
COPY --from=deps /app .
RUN npm ci
COPY . .
CMD ["node", "server.js"]
