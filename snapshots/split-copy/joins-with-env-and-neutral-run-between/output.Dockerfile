FROM node:20
WORKDIR /app
COPY package.json package-lock.json ./
ENV NODE_ENV=production
RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
RUN npm ci
COPY . .
