FROM debian:bookworm
RUN apt-get update \
    && apt-get install -y curl \
# free the space again
    && rm -rf /var/cache/apt/archives/*
