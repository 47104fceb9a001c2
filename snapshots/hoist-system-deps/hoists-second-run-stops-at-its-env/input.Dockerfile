FROM debian:12
WORKDIR /app
COPY . .
RUN apt-get update
ENV TZ=Etc/UTC
COPY config.yml /app/config.yml
RUN apt-get install -y tzdata
