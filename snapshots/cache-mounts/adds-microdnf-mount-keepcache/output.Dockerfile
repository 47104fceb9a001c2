# syntax=docker/dockerfile:1
FROM registry.access.redhat.com/ubi9/ubi-minimal
RUN --mount=type=cache,target=/var/cache/yum,sharing=locked microdnf --setopt=keepcache=1 install -y shadow-utils
