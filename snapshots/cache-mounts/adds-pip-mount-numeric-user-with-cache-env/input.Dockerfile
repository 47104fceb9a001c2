FROM python:3.12-slim
ENV PIP_CACHE_DIR=/var/cache/pip
USER 1001:1001
RUN pip install --user flask
