FROM python:3.12-slim
WORKDIR /app
COPY --chmod=700 manage.py .
CMD ["./manage.py"]
