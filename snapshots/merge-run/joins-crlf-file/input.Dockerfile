FROM debian:12
# install
RUN apt-get update
RUN apt-get install -y curl
