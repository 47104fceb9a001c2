FROM debian:12
COPY entrypoint.sh /usr/local/bin/
RUN chmod +x /usr/local/bin/entrypoint.sh && apt-get update
RUN apt-get install -y --no-install-recommends curl
ENTRYPOINT ["entrypoint.sh"]
