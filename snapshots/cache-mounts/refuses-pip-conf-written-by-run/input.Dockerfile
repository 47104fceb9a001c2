FROM python:3.12-slim
RUN printf "[global]\\ncache-dir = /opt/pip\\n" > /etc/pip.conf
RUN pip install --no-cache-dir flask
