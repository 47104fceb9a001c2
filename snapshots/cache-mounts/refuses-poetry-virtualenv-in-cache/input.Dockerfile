FROM python:3.12-slim
RUN pip install poetry
RUN poetry install --no-root
