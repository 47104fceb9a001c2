FROM debian:12
ADD motd.txt /etc/motd
RUN chmod 444 /etc/motd
