FROM debian:12
RUN for f in /etc/*.conf; do test -r "$f"; done
RUN echo "last: $f"
