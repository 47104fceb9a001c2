from node:20-bookworm as build
workdir /app
copy package.json package-lock.json ./
run npm ci
copy . .

from node:20-bookworm-slim
workdir /app
copy --from=build /app /app
cmd ["node", "index.js"]
