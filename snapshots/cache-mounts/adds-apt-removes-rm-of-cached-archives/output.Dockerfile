# syntax=docker/dockerfile:1
FROM debian:bookworm
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update && apt-get install -oDir::Cache::Archives=/var/cache/apt/kept/ -y curl && rm -rf /var/lib/apt/lists/*
