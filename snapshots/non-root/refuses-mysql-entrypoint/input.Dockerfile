FROM mysql:8.4
COPY init/ /docker-entrypoint-initdb.d/
