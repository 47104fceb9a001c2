FROM debian:12
RUN ulimit -n 1024
RUN ./server --check
