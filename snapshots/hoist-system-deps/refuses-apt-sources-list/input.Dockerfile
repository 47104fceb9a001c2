FROM debian:12
COPY . /app
COPY nodesource.list /etc/apt/sources.list.d/
RUN apt-get update && apt-get install -y nodejs
