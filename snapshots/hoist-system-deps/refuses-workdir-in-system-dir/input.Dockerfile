FROM debian:12
WORKDIR /var/lib/app
RUN apt-get update && apt-get install -y sqlite3
