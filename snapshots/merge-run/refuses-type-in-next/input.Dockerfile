FROM debian:12
RUN ./install-node.sh
RUN type node
