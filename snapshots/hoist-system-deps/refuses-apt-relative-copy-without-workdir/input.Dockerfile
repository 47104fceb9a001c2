FROM python:3.12
COPY . .
RUN apt-get update && apt-get install -y libpq5
