FROM opensuse/leap:15.6
RUN zypper --non-interactive install -y --no-recommends curl && zypper clean --all
COPY . /srv/app
