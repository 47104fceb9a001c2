FROM python:3.12-slim
SHELL ["pwsh", "-Command"]
RUN pip install flask
