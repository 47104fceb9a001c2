FROM python:3.12-slim
USER 1001
RUN pip install --user flask
