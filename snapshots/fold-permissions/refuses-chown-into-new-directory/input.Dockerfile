FROM debian:12
COPY app.jar /opt/app/
RUN chown app:app /opt/app/app.jar
