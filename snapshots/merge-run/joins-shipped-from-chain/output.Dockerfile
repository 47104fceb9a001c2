FROM debian:12 AS base
RUN ./install-deps.sh \
    && ./configure-base.sh

FROM base
CMD ["./run"]
