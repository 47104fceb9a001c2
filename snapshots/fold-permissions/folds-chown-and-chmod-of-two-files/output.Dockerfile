FROM debian:12
WORKDIR /srv
COPY --chown=www-data:www-data --chmod=600 config.yml secrets.env ./
