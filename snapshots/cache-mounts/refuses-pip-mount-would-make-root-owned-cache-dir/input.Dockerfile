FROM python:3.12-slim
RUN useradd --uid 1000 --create-home app
USER app
WORKDIR /home/app/src
RUN python -m pip install --user --no-cache-dir flask
