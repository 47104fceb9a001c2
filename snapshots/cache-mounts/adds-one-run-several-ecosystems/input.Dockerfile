FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && pip install --no-cache-dir -r requirements.txt \
    && npm ci \
    && rm -rf /var/lib/apt/lists/* /root/.npm
