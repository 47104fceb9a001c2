FROM debian:12
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl ca-certificates
RUN curl --version
CMD ["curl", "--help"]
