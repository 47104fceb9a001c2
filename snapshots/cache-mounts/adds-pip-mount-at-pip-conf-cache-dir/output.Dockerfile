# syntax=docker/dockerfile:1
FROM python:3.12-slim
COPY . /src
RUN --mount=type=cache,target=/var/cache/pip pip install -r /src/requirements.txt
