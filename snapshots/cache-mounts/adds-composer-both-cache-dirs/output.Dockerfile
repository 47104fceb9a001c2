# syntax=docker/dockerfile:1
FROM php:8.3-cli
COPY --from=composer:2 /usr/bin/composer /usr/bin/composer
WORKDIR /app
COPY composer.json composer.lock ./
RUN --mount=type=cache,target=/root/.cache/composer \
    --mount=type=cache,target=/root/.composer/cache \
    composer install --no-dev
