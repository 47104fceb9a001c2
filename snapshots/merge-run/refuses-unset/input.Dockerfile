FROM debian:12
RUN unset HTTP_PROXY
RUN curl https://example.com
