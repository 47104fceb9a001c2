FROM debian:12
WORKDIR /app
COPY . .
RUN echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/bp.list \
    && apt-get update && apt-get install -y -t bookworm-backports git
