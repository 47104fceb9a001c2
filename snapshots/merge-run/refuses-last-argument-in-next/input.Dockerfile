FROM debian:12
RUN mkdir -p /opt/app
RUN echo "$_" > /created
