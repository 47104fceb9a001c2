FROM node:20
WORKDIR /app
COPY . .
RUN --mount=type=bind,source=package.json,target=package.json npm ci
