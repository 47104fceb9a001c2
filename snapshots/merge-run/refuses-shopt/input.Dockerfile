FROM bash:5
SHELL ["/usr/local/bin/bash", "-c"]
RUN shopt -s globstar
RUN ls **/*.txt
