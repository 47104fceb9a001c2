FROM python:3.12
RUN pip install -r /tmp/base.txt
# dockeropt ignore=cache-mounts
RUN pip install -r /tmp/extra.txt
