FROM fedora:40
RUN dnf install -y python3 && dnf clean all
COPY app /opt/app
EXPOSE 8080
