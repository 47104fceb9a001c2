FROM python:3.12
WORKDIR /app
ENV PIP_FIND_LINKS=./wheels
COPY . .
RUN pip install -r requirements.txt
