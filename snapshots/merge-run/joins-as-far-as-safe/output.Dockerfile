FROM debian:12
RUN mkdir -p /src \
    && cd /src
RUN git clone https://example.com/r.git . \
    && make
