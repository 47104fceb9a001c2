FROM debian:12
ARG PORT=80
COPY app /usr/local/bin/app
EXPOSE ${PORT}
CMD ["app"]
