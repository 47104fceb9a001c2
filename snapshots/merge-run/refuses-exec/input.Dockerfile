FROM debian:12
RUN exec make
RUN make install
