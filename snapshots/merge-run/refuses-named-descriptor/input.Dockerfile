FROM debian:12
SHELL ["/bin/bash", "-c"]
RUN ./build.sh {log}>build.log
RUN ./check.sh
