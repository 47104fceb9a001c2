FROM fedora:40
COPY dist/ /build/
RUN dnf install -y /build/app.rpm
