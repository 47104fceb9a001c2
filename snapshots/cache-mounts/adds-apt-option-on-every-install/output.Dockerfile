# syntax=docker/dockerfile:1
FROM ubuntu:24.04
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update && apt-get install -oDir::Cache::Archives=/var/cache/apt/kept/ -y curl && rm -rf /var/lib/apt/lists/*
RUN echo built > /etc/built
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update && apt-get install -oDir::Cache::Archives=/var/cache/apt/kept/ -y git && rm -rf /var/lib/apt/lists/* /tmp/*
