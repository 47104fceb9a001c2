FROM node:20
WORKDIR /app
COPY package*.json ./
RUN npm ci
RUN cp -r /root/.npm/_cacache /opt/npm-cache
