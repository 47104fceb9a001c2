FROM debian:12
ARG APP_HOME=/app
COPY . $APP_HOME
RUN apt-get update && apt-get install -y curl
