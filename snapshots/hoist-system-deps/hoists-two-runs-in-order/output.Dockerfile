FROM debian:12
# refresh the index
RUN apt-get update
# then install
RUN apt-get install -y --no-install-recommends gcc libpq-dev
WORKDIR /app
COPY requirements.txt .
COPY . .
