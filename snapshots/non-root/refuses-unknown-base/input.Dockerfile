FROM registry.example.com/platform/base:2.3
COPY app /opt/app
CMD ["/opt/app/run"]
