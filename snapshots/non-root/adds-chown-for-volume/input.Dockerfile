FROM python:3.12-slim
WORKDIR /app
COPY app.py .
COPY seed/ /data/
VOLUME /data
CMD ["python", "app.py"]
