# syntax=docker/dockerfile:1
FROM ubuntu:24.04
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt update && apt install -oDir::Cache::Archives=/var/cache/apt/kept/ -oAPT::Keep-Downloaded-Packages=true -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
