# syntax=docker/dockerfile:1
FROM debian:12
WORKDIR /app
COPY . .
RUN --mount=type=bind,source=vendor/tool.deb,target=/tmp/tool.deb \
    apt-get install -y /tmp/tool.deb
