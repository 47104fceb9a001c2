FROM debian:12
RUN apt-get update
RUN make && make check || true \
    && echo done
