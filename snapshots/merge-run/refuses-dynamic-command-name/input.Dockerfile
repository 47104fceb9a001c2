FROM debian:12
RUN $SETUP /opt
RUN make
