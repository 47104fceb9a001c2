# build with the full image, run on debian
FROM node:20@sha256:70fe7b9c8c95ff6ff28fc45a94c42d03ffc37e4d0f8b0ac8e363c2ec8cb27751 AS build
WORKDIR /src
COPY . .
RUN npm ci && npm run build

FROM debian:12@sha256:8b92c3d2d6e2d4e1543bec7979382a256e53849764f4270a94d1205fe6964058
COPY --from=build /src/dist /app
CMD ["/app/server"]
