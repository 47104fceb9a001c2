FROM debian:12
COPY dist/ /opt/google/
RUN apt-get update && apt-get install -y --no-install-recommends google-chrome-stable
