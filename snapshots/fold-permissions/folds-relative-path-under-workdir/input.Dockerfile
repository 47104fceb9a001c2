FROM python:3.12-slim
WORKDIR /app
COPY manage.py .
RUN chmod -R go-rwx manage.py
CMD ["./manage.py"]
