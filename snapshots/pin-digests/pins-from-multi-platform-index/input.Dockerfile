# build with the full image, run on debian
FROM node:20 AS build
WORKDIR /src
COPY . .
RUN npm ci && npm run build

FROM debian:12
COPY --from=build /src/dist /app
CMD ["/app/server"]
