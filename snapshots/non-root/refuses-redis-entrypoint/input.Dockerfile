FROM redis:7
COPY init/ /docker-entrypoint-initdb.d/
