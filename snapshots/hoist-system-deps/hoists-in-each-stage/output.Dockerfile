FROM node:20 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
RUN apt-get update && apt-get install -y python3
COPY . .

FROM node:20-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/dist ./dist
CMD ["node", "dist/index.js"]
