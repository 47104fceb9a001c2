FROM debian:12 AS app
COPY app /usr/local/bin/app
CMD ["app"]

FROM debian:12 AS debug
RUN apt-get update && apt-get install -y gdb
CMD ["gdb", "app"]
