FROM python:3.12-slim
WORKDIR /srv
COPY constraints.txt ./
COPY requirements/prod.txt requirements/base.txt ./requirements/
RUN python -m pip install -r requirements/prod.txt -c constraints.txt
COPY . .
CMD ["gunicorn", "app.main:app"]
