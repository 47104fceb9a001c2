ARG BASE=node:20
ARG DEBIAN_VERSION="12"
FROM ${BASE} AS build
RUN npm ci

FROM debian:$DEBIAN_VERSION
COPY --from=build /app /app
