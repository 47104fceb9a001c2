FROM debian:12
RUN umask 077
RUN touch /secret
