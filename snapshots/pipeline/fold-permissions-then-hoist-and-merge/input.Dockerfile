FROM debian:12
COPY entrypoint.sh /app/
RUN chmod +x /app/entrypoint.sh && apt-get update
RUN apt-get install -y --no-install-recommends curl
ENTRYPOINT ["/app/entrypoint.sh"]
