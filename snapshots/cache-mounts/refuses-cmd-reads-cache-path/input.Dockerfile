FROM python:3.12
RUN pip download -d /root/.cache/pip/wheels requests
CMD ["pip", "install", "--no-index", "--find-links", "/root/.cache/pip/wheels", "requests"]
