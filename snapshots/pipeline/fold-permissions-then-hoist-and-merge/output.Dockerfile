# syntax=docker/dockerfile:1
FROM debian:12
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update \
    && apt-get install -oDir::Cache::Archives=/var/cache/apt/kept/ -y --no-install-recommends curl
COPY --chmod=751 entrypoint.sh /app/
ENTRYPOINT ["/app/entrypoint.sh"]
