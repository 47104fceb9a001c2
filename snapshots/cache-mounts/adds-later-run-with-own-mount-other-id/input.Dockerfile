FROM golang:1.22 AS base
RUN apt-get update && apt-get install -y --no-install-recommends file

FROM base AS tools
RUN --mount=type=cache,id=tools-apt,target=/var/cache/apt,sharing=locked \
    apt-get update && apt-get install -y --no-install-recommends cmake
