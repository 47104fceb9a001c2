FROM debian:12 AS base
RUN ./install-deps.sh
RUN ./configure-base.sh

FROM base
CMD ["./run"]
