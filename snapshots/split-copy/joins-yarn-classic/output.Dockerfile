FROM node:18
WORKDIR /app
COPY package.json yarn.lock .yarnrc ./
RUN yarn --frozen-lockfile --network-timeout 600000
COPY . .
CMD ["yarn", "start"]
