FROM debian:12
RUN apt-get update
WORKDIR /app
COPY . .
ENV TZ=Etc/UTC
RUN apt-get install -y tzdata
COPY config.yml /app/config.yml
