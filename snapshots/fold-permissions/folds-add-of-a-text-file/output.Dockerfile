FROM debian:12
ADD --chmod=444 motd.txt /etc/motd
