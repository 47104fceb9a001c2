FROM debian:12
RUN (cd /tmp && make) && echo done
RUN x=$(cd /etc && pwd) echo ok
RUN ls
