FROM debian:12
RUN (cd /tmp && make) && echo done \
    && x=$(cd /etc && pwd) echo ok \
    && ls
