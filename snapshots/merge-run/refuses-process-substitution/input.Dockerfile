FROM debian:12
SHELL ["/bin/bash", "-c"]
RUN ./build.sh > >(tee build.log)
RUN grep -q OK build.log
