FROM python:3.12-slim
WORKDIR /app
COPY app.py .
COPY --chown=1001:0 seed/ /data/
VOLUME /data
USER 1001
CMD ["python", "app.py"]
