FROM debian:12
COPY app /usr/local/bin/app
CMD ["app"]
# dockeropt ignore=all
RUN apt-get update
