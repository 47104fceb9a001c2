from node:20-bookworm
workdir /app
copy package.json package-lock.json ./
run npm ci
copy . .
cmd ["node", "index.js"]
