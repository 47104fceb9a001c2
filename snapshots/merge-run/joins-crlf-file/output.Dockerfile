FROM debian:12
# install
RUN apt-get update \
    && apt-get install -y curl
