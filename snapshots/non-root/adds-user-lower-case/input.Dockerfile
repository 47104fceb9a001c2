from ubuntu:24.04
run apt-get update && apt-get install -y python3
copy app.py /opt/app.py
cmd ["python3", "/opt/app.py"]
