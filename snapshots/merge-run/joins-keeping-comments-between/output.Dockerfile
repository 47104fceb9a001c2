FROM debian:12
RUN apt-get update \
# curl is needed by the health check
  # (indented comment)
    && apt-get install -y curl \
    && useradd -m app
