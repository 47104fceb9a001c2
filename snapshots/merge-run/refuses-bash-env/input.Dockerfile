FROM debian:12
ENV BASH_ENV=/etc/profile.d/env.sh
SHELL ["/bin/bash", "-c"]
RUN ./install-env.sh
RUN ./build.sh
