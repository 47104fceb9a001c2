FROM fedora:40
COPY app /srv/app
EXPOSE 8080
RUN dnf install -y python3 && dnf clean all
