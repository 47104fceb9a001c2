# escape=`
FROM node:20
WORKDIR /app
RUN --mount=type=bind,source=package.json,target=/app/package.json `
    --mount=type=bind,source=package-lock.json,target=/app/package-lock.json `
    npm ci
COPY . .
RUN npm run build
CMD ["node", "dist/server.js"]
