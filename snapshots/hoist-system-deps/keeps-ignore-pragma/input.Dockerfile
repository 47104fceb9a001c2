FROM debian:12
WORKDIR /app
COPY . .
# dockeropt ignore=hoist-system-deps
RUN apt-get update && apt-get install -y curl
