FROM debian:12
RUN mkdir -p /src
RUN cd /src
RUN git clone https://example.com/r.git .
RUN make
