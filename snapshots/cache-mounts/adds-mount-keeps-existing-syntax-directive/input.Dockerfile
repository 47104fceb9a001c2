# syntax=docker/dockerfile:1.7
FROM python:3.12-slim
RUN pip install -r requirements.txt
