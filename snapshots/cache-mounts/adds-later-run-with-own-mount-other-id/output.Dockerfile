# syntax=docker/dockerfile:1
FROM golang:1.22 AS base
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update && apt-get install -oDir::Cache::Archives=/var/cache/apt/kept/ -y --no-install-recommends file

FROM base AS tools
RUN --mount=type=cache,id=tools-apt,target=/var/cache/apt,sharing=locked \
    apt-get update && apt-get install -oDir::Cache::Archives=/var/cache/apt/kept/ -y --no-install-recommends cmake
