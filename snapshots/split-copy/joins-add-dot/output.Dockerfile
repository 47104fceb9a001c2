from python:3.12
workdir /app
copy requirements.txt ./
run pip install -r requirements.txt
add . .
