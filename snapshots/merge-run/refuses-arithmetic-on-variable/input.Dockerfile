FROM debian:12
RUN echo "$((CORES * 2))"
RUN make
