FROM debian:12
RUN declare -x MODE=prod
RUN ./configure
