FROM php:8.3-cli
RUN export COMPOSER_HOME=/opt/composer && composer install
