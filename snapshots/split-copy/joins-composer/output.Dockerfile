FROM composer:2 AS vendor
WORKDIR /app
COPY composer.json composer.lock ./
RUN composer install --no-scripts --no-autoloader --no-dev --prefer-dist --optimize-autoloader --no-interaction
COPY . .
RUN composer dump-autoload --no-dev --optimize --no-interaction
