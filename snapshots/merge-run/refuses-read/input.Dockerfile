FROM debian:12
RUN read -r VERSION < /etc/debian_version
RUN echo "$VERSION" > /version
