FROM debian:12
RUN pushd /app
RUN make
