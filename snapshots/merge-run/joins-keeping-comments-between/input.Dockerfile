FROM debian:12
RUN apt-get update
# curl is needed by the health check
  # (indented comment)
RUN apt-get install -y curl

RUN useradd -m app
