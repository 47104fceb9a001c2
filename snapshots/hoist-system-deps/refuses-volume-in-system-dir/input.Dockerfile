FROM debian:12
VOLUME /var/lib/mysql
RUN apt-get update && apt-get install -y mariadb-server
