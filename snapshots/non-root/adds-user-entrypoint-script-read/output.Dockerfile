FROM debian:12
COPY app /usr/local/bin/app
COPY entrypoint.sh /entrypoint.sh
USER 1001
ENTRYPOINT ["/entrypoint.sh"]
CMD ["app"]
