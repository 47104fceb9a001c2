FROM opensuse/leap:15.6
COPY . /srv/app
ADD internal.repo /etc/zypp/repos.d/
RUN zypper --non-interactive install -y internal-tool
