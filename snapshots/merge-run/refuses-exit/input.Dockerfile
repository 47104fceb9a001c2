FROM debian:12
RUN test -f /done && exit 0
RUN make
