FROM debian:12
RUN if [ -d /src ]; then cd /src; fi
RUN make
