FROM debian:12
RUN MODE=release :
RUN make "$MODE"
