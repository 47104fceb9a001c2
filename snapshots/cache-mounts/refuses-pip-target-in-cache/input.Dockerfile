FROM python:3.12-slim
RUN pip install --target /root/.cache/pip/site flask
