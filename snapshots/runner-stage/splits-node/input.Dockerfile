FROM node:20
WORKDIR /usr/src/app
COPY package*.json ./
RUN npm ci
COPY . .
RUN npm run build
ENV NODE_ENV=production
EXPOSE 3000
HEALTHCHECK CMD ["node", "healthcheck.js"]
CMD ["npm", "start"]
