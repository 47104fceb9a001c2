FROM node:20 AS build
RUN npm ci

FROM --platform=linux/amd64 debian:12
COPY --from=build /app /app
