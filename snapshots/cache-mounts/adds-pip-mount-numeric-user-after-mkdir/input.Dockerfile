FROM python:3.12-slim
RUN useradd -u 10001 -m -d /home/appuser appuser
USER 10001:10001
RUN mkdir -p ~/.cache
RUN pip install --user --no-cache-dir gunicorn
