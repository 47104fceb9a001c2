FROM node:20@sha256:6ba538b9bb910876a07a6ce149c40bc03b0dd258700dd79d99fa43b1149e88f5 AS build
RUN npm ci

FROM --platform=linux/amd64 debian:12@sha256:8b92c3d2d6e2d4e1543bec7979382a256e53849764f4270a94d1205fe6964058
COPY --from=build /app /app
