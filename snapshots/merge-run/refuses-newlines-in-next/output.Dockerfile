FROM debian:12
RUN apt-get update \
    && (if true; then echo a; fi)
RUN echo one \
; echo two
