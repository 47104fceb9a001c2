FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends python3-pip
COPY requirements.txt /tmp/requirements.txt
