FROM debian:12
SHELL ["/bin/bash", "-l", "-c"]
RUN echo one
RUN echo two
