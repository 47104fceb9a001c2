FROM debian:12
COPY bin/ /app/bin/
RUN chmod -R +x /app/bin
