# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN --network=host --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    --mount=type=cache,target=/root/.cache/pip \
    pip install -r /tmp/requirements.txt
