# syntax=docker/dockerfile:1
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update \
    && apt-get install -oDir::Cache::Archives=/var/cache/apt/kept/ -y --no-install-recommends libpq5
WORKDIR /srv
COPY requirements.txt ./
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
COPY . .
USER 1001
CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
