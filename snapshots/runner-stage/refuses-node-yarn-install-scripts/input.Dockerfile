from node:20-bookworm
workdir /app
copy package.json yarn.lock ./
run yarn install --frozen-lockfile
copy . .
cmd ["node", "index.js"]
