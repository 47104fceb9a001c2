# escape=`
FROM debian:12
COPY --chmod=755 run.sh /usr/local/bin/
RUN echo ok
