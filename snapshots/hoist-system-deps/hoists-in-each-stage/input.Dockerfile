FROM node:20 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN apt-get update && apt-get install -y python3

FROM node:20-slim
WORKDIR /app
COPY --from=build /app/dist ./dist
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
CMD ["node", "dist/index.js"]
