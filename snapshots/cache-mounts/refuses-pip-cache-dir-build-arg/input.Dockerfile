FROM python:3.12-slim
ARG PIP_CACHE_DIR=/cache
RUN pip install flask
