FROM node:20
WORKDIR /app
COPY . .
# native modules need a compiler
RUN apt-get update && apt-get install -y --no-install-recommends build-essential python3 && rm -rf /var/lib/apt/lists/*
RUN npm ci
RUN npm run build
EXPOSE 3000
CMD ["node", "dist/server.js"]
