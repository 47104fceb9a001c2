FROM debian:12
RUN test -f /etc/os-release || false \
    && echo next
