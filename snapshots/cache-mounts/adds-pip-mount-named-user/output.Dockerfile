# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN useradd --uid 1000 --create-home app
USER app
WORKDIR /home/app/src
RUN --mount=type=cache,target=/home/app/.cache/pip,uid=1000 python -m pip install --user flask
