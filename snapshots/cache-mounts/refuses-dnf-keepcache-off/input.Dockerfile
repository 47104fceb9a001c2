FROM fedora:40
RUN dnf --setopt=keepcache=0 install -y gcc
