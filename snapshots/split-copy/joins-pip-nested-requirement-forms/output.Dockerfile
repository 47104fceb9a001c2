FROM python:3.12
WORKDIR /app
COPY requirements/prod.txt requirements/base.txt requirements/constraints.txt ./requirements/
RUN pip install --requirement=requirements/prod.txt
COPY . .
