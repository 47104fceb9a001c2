FROM debian:12
RUN command cd /src
RUN make
