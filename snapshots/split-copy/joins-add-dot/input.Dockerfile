from python:3.12
workdir /app
add . .
run pip install -r requirements.txt
