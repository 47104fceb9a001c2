FROM debian:12
SHELL ["/bin/sh", "-e", "-c"]
RUN (false; echo "continues")
RUN make
