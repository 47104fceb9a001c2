FROM debian:12
ADD app.tar.gz /opt/
RUN chmod 755 /opt/app.tar.gz
