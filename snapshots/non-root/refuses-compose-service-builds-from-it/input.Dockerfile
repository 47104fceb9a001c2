FROM debian:12
COPY app /usr/local/bin/app
CMD ["app"]
