FROM debian:12
RUN make # build everything
RUN make install
