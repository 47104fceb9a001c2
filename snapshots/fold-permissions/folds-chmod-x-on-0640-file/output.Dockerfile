FROM debian:12
COPY --chmod=751 entrypoint.sh /usr/local/bin/
ENTRYPOINT ["entrypoint.sh"]
