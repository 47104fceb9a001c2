FROM node:18
WORKDIR /app
COPY . .
RUN yarn --frozen-lockfile --network-timeout 600000
CMD ["yarn", "start"]
