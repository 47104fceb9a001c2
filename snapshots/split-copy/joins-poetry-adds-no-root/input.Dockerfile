FROM python:3.12
ENV POETRY_VIRTUALENVS_CREATE=false
WORKDIR /app
COPY . .
RUN pip install poetry==1.8.3 && poetry install --only main --no-interaction
CMD ["python", "-m", "app.main"]
