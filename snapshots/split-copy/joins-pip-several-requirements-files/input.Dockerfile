FROM python:3.12-slim
WORKDIR /srv
COPY . .
RUN python -m pip install -r requirements/prod.txt -c constraints.txt
CMD ["gunicorn", "app.main:app"]
