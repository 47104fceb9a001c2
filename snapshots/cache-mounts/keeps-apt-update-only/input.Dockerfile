FROM debian:bookworm
RUN apt-get update
RUN echo hi
