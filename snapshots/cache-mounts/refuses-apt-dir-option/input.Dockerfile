FROM debian:bookworm
RUN apt-get update && apt-get -o Dir::Cache=/opt/apt-cache install -y curl
