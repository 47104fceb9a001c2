FROM ubuntu:24.04
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
RUN echo built > /etc/built
RUN apt-get update && apt-get install -y git && rm -rf /var/lib/apt/lists/* /tmp/*
