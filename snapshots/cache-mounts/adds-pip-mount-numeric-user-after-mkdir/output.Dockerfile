# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN useradd -u 10001 -m -d /home/appuser appuser
USER 10001:10001
RUN mkdir -p ~/.cache
RUN --mount=type=cache,target=/home/appuser/.cache/pip,uid=10001,gid=10001 pip install --user gunicorn
