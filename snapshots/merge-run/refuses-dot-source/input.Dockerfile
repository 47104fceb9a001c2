FROM debian:12
RUN . /opt/venv/bin/activate
RUN pip install flask
