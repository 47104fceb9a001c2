ARG PORT=8080
FROM debian:12
ARG PORT
COPY app /usr/local/bin/app
EXPOSE ${PORT}
USER 1001
CMD ["app"]
