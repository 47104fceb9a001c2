FROM python:3.12-slim
COPY . /src
RUN pip install --no-cache-dir -r /src/requirements.txt
