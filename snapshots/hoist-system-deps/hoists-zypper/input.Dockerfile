FROM opensuse/leap:15.6
COPY . /srv/app
RUN zypper --non-interactive install -y --no-recommends curl && zypper clean --all
