FROM debian:12
RUN readonly LEVEL=3
RUN echo level
