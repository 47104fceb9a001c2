FROM debian:12
RUN set -e
RUN false; echo continued
