FROM node:20 AS build
WORKDIR /usr/src/app
COPY package*.json ./
RUN npm ci
COPY . .
RUN npm run build
ENV NODE_ENV=production

FROM node:20-slim
WORKDIR /usr/src/app
ENV NODE_ENV=production
COPY --from=build /usr/src/app /usr/src/app
EXPOSE 3000
HEALTHCHECK CMD ["node", "healthcheck.js"]
CMD ["npm", "start"]
