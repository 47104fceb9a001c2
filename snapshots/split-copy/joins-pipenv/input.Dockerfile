FROM python:3.11
WORKDIR /app
COPY . .
RUN pip install pipenv && pipenv install --system --deploy
CMD ["python", "-m", "app.main"]
