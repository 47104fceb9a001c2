FROM debian:12
RUN apt-get update
# dockeropt ignore=merge-run
RUN apt-get install -y curl
