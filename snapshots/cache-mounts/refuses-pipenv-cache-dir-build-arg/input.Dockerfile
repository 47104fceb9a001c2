FROM python:3.12-slim
ARG PIPENV_CACHE_DIR
RUN pipenv install --system --deploy
