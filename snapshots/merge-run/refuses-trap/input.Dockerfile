FROM debian:12
RUN trap "rm -rf /tmp/x" EXIT
RUN ls /tmp
