FROM debian:12
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /app
COPY . .
RUN apt-get update && apt-get install -y tzdata
