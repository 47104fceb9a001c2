FROM debian:12
COPY vendor/libacme.so.1 /usr/local/lib/
RUN apt-get update && apt-get install -y --no-install-recommends libssl3
