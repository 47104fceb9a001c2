FROM python:3.12-slim
ENV POETRY_VIRTUALENVS_CREATE=false
RUN pip install poetry
RUN poetry install --no-root --no-cache
