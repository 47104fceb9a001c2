FROM debian:12
COPY app.jar /opt/
RUN chown app: /opt/app.jar
