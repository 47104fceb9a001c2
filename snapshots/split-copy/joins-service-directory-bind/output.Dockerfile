FROM node:20
WORKDIR /app
RUN --mount=type=bind,source=services/api/package.json,target=/app/package.json \
    --mount=type=bind,source=services/api/package-lock.json,target=/app/package-lock.json \
    npm ci
COPY services/api/ ./
CMD ["node", "server.js"]
