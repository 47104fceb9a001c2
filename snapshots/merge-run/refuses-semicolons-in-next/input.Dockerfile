FROM debian:12
RUN apt-get update
RUN false; echo "still runs"
