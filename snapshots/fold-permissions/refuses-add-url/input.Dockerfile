FROM debian:12
ADD https://example.com/tool /usr/local/bin/tool
RUN chmod +x /usr/local/bin/tool
