FROM node:20-slim
ENV PNPM_HOME=/pnpm
WORKDIR /app
COPY . .
RUN corepack enable && pnpm install --frozen-lockfile
RUN pnpm run build
