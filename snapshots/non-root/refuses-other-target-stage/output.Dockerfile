FROM node:20 AS dev
WORKDIR /app
COPY . .
RUN npm install
CMD ["npm", "run", "dev"]

FROM node:20-slim AS prod
WORKDIR /app
COPY --from=dev /app /app
USER 1001
CMD ["node", "server.js"]
