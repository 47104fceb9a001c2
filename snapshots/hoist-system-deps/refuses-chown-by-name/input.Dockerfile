FROM debian:12
COPY --chown=www-data:www-data . /srv/www
RUN apt-get update && apt-get install -y nginx
