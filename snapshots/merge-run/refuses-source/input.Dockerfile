FROM debian:12
RUN source /etc/profile
RUN env
