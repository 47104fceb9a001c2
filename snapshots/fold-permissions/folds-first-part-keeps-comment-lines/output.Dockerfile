FROM python:3.12-slim
COPY --chmod=755 ./entrypoint.sh /docker-entrypoint.sh
# Setting up proper permissions:
RUN \
  # Replacing line separator CRLF with LF for Windows users:
  sed -i 's/\r$//g' '/docker-entrypoint.sh'
ENTRYPOINT ["/docker-entrypoint.sh"]
