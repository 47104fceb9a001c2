FROM node:20
WORKDIR /app
COPY . .
RUN ./scripts/generate.sh
RUN npm ci
