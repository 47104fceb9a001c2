FROM debian:12
WORKDIR /app
COPY . .
USER root
RUN apt-get update && apt-get install -y curl
