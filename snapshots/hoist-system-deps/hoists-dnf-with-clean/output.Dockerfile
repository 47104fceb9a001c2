FROM fedora:40
RUN dnf install -y python3 && dnf clean all
COPY app /srv/app
EXPOSE 8080
