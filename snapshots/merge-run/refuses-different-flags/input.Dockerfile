FROM debian:12
RUN --network=none make
RUN make install
