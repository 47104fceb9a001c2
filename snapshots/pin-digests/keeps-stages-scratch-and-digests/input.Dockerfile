FROM scratch AS empty
FROM node:20@sha256:0000000000000000000000000000000000000000000000000000000000000000 AS build
FROM build AS test
RUN npm test
FROM empty
COPY --from=build /app /app
COPY --from=0 /x /x
RUN --mount=type=cache,from=build,target=/cache true
