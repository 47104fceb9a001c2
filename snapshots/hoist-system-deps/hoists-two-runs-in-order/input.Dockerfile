FROM debian:12
WORKDIR /app
COPY requirements.txt .
# refresh the index
RUN apt-get update
# then install
RUN apt-get install -y --no-install-recommends gcc libpq-dev
COPY . .
