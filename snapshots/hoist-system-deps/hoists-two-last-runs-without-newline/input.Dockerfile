FROM node:20
COPY . /src
RUN apt-get update
RUN apt-get install -y curl