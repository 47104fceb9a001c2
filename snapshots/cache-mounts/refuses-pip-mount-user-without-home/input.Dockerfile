FROM python:3.12-slim
RUN useradd -u 1000 app
USER app
RUN pip install --user --no-cache-dir flask
