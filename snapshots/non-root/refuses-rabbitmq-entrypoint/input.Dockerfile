FROM rabbitmq:3-management
COPY init/ /docker-entrypoint-initdb.d/
