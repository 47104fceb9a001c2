# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/root/.cache/pip \
    --mount=type=cache,target=/root/.npm \
    apt-get update && apt-get install -oDir::Cache::Archives=/var/cache/apt/kept/ -y --no-install-recommends nodejs npm \
    && pip install -r requirements.txt \
    && npm ci \
    && rm -rf /var/lib/apt/lists/*
