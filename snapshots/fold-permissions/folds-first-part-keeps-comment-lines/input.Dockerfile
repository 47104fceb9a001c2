FROM python:3.12-slim
COPY ./entrypoint.sh /docker-entrypoint.sh
# Setting up proper permissions:
RUN chmod +x '/docker-entrypoint.sh' \
  # Replacing line separator CRLF with LF for Windows users:
  && sed -i 's/\r$//g' '/docker-entrypoint.sh'
ENTRYPOINT ["/docker-entrypoint.sh"]
