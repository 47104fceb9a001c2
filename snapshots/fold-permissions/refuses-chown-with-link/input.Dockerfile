FROM debian:12
WORKDIR /app
COPY --link app.jar /app/
RUN chown app:app /app/app.jar
