# syntax=docker/dockerfile:1
FROM maven:3.9-eclipse-temurin-21
WORKDIR /src
COPY settings.xml /root/.m2/settings.xml
COPY pom.xml .
RUN --mount=type=cache,target=/opt/m2repo mvn -B dependency:resolve
