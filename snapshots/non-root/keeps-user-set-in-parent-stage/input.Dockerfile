FROM node:20-slim AS base
WORKDIR /app
COPY . .
RUN npm ci
USER node

FROM base
CMD ["node", "server.js"]
