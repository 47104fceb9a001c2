FROM debian:12
COPY seed/ /tmp/seed/
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* /tmp/*
