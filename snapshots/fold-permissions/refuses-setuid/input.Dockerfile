FROM debian:12
COPY tool /usr/local/bin/
RUN chmod u+s /usr/local/bin/tool
