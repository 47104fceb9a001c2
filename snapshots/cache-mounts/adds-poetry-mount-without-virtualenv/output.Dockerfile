# syntax=docker/dockerfile:1
FROM python:3.12-slim
ENV POETRY_VIRTUALENVS_CREATE=false
RUN --mount=type=cache,target=/root/.cache/pip pip install poetry
RUN --mount=type=cache,target=/root/.cache/pypoetry poetry install --no-root
