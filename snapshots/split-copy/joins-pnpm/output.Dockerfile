FROM node:20-slim
ENV PNPM_HOME=/pnpm
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY patches ./patches/
RUN corepack enable && pnpm install --frozen-lockfile
COPY . .
RUN pnpm run build
