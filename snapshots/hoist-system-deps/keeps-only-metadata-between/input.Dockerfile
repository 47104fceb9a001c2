FROM debian:12
ENV APP_HOME=/srv/app
LABEL org.opencontainers.image.title=demo
EXPOSE 8080
RUN apt-get update && apt-get install -y curl
