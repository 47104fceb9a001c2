FROM debian:12
RUN alias ll="ls -l"
RUN ll
