FROM debian:12
RUN return 0
RUN make
