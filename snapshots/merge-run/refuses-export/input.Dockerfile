FROM debian:12
RUN export PATH=/opt/bin:$PATH
RUN tool --version
