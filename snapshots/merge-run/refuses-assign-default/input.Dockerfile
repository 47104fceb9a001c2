FROM debian:12
RUN : "${PREFIX:=/usr/local}"
RUN ./configure --prefix="$PREFIX"
