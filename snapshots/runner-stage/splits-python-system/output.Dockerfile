FROM python:3.11-bookworm AS build
WORKDIR /srv
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .

FROM python:3.11-slim-bookworm
WORKDIR /srv
COPY --from=build /usr/local/lib/python3.11/site-packages /usr/local/lib/python3.11/site-packages
COPY --from=build /usr/local/bin /usr/local/bin
COPY --from=build /srv /srv
CMD python main.py
