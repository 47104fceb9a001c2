FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY src ./src
COPY --chown=1001:0 uploads ./uploads
USER 1001
CMD ["node", "src/index.js"]
