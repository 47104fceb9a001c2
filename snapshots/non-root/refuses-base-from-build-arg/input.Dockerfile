ARG BASE=debian:bookworm-slim
FROM ${BASE}
COPY app /opt/app
CMD ["/opt/app/run"]
