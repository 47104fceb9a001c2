FROM node:20
WORKDIR /app
COPY assets/ /srv/assets/
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
