FROM registry.access.redhat.com/ubi9/ubi-minimal
RUN microdnf install -y java-17-openjdk-headless \
 && microdnf clean all
LABEL maintainer="ops@example.com"
COPY target/app.jar /app/app.jar
