FROM node:20-slim
WORKDIR /app
COPY . .
RUN npm ci
CMD ["npx", "ng", "serve", "--host", "0.0.0.0"]
