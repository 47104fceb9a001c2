FROM debian:12
WORKDIR /app
COPY app.jar /app/
RUN chown -R app:app /app
