FROM python:3.12
ARG POETRY_ARGS="--only main"
WORKDIR /app
COPY . .
RUN poetry install $POETRY_ARGS
