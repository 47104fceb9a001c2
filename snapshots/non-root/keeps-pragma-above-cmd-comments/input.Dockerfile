FROM debian:12
COPY app /usr/local/bin/app
# start the app
# dockeropt ignore=non-root
CMD ["app"]
