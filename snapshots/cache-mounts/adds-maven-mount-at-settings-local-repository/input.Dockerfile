FROM maven:3.9-eclipse-temurin-21
WORKDIR /src
COPY settings.xml /root/.m2/settings.xml
COPY pom.xml .
RUN mvn -B dependency:resolve
