FROM debian:12
RUN ./start-db.sh &
RUN ./migrate.sh
