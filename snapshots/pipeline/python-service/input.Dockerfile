FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1
WORKDIR /srv
COPY . .
RUN apt-get update
RUN apt-get install -y --no-install-recommends libpq5
RUN pip install --no-cache-dir -r requirements.txt
CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
