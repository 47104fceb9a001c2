FROM fedora:40
WORKDIR /app
COPY . .
COPY internal.repo /etc/yum.repos.d/internal.repo
RUN dnf install -y internal-tool && dnf clean all
