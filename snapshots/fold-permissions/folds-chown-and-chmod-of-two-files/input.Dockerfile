FROM debian:12
WORKDIR /srv
COPY config.yml secrets.env ./
RUN chown www-data:www-data config.yml secrets.env && chmod 600 config.yml secrets.env
