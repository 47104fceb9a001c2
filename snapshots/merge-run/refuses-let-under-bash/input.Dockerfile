FROM debian:12
SHELL ["/bin/bash", "-c"]
RUN let N=4
RUN make -j"$N"
