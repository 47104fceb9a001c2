FROM debian:12
COPY target/app.jar /deployments/app.jar
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless
