FROM debian:12
RUN apt-get update
RUN make || exit 0
