FROM debian:12 AS prod
COPY app /usr/local/bin/app
CMD ["app"]

FROM debian:12 AS dev
COPY app /usr/local/bin/app
CMD ["app", "--dev"]
