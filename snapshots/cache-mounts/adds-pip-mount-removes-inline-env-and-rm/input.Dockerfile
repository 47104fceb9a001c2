FROM python:3.12-slim
RUN PIP_NO_CACHE_DIR=1 pip install flask && rm -rf ~/.cache/pip
