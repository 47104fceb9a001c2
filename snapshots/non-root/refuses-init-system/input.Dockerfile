FROM debian:bookworm
RUN apt-get update && apt-get install -y systemd
ENTRYPOINT ["/sbin/init"]
