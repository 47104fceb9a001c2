FROM debian:bookworm
RUN useradd -u 1000 -m app
USER app
RUN apt-get update && apt-get install -y curl
