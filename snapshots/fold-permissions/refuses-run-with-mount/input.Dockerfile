FROM debian:12
COPY run.sh /usr/local/bin/
RUN --mount=type=tmpfs,target=/tmp chmod +x /usr/local/bin/run.sh
