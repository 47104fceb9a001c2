# syntax=docker/dockerfile:1
FROM debian:12
COPY run.sh /usr/local/bin/
RUN <<EOF
chmod +x /usr/local/bin/run.sh
EOF
