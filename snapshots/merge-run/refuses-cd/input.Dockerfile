FROM debian:12
RUN cd /app
RUN make
