FROM opensuse/leap:15.6
USER 1000
RUN zypper --non-interactive install -y curl
