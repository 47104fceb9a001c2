# syntax=docker/dockerfile:1
FROM node:20
WORKDIR /app
COPY package.json yarn.lock .yarnrc ./
RUN --mount=type=cache,target=/var/cache/yarn yarn install --frozen-lockfile
