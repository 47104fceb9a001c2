FROM debian:12
ENV PATH=/app/bin:$PATH
COPY bin/ /app/bin/
RUN apt-get update && apt-get install -y --no-install-recommends curl
