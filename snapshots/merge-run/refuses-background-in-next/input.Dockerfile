FROM debian:12
RUN make
RUN ./warm-cache.sh &
