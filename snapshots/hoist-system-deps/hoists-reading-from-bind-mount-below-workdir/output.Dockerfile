# syntax=docker/dockerfile:1
FROM debian:12
WORKDIR /app
RUN --mount=type=bind,source=debs,target=debs dpkg -i debs/tool.deb
COPY . .
