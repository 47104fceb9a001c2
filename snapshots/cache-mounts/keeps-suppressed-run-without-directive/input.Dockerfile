FROM python:3.12-slim
# dockeropt ignore=cache-mounts
RUN pip install --no-cache-dir -r requirements.txt
