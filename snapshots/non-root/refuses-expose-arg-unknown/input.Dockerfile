FROM debian:12
ARG PORT
COPY app /usr/local/bin/app
EXPOSE ${PORT}
CMD ["app"]
