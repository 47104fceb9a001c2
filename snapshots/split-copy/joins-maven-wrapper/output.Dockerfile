FROM eclipse-temurin:21-jdk AS build
WORKDIR /workspace
COPY pom.xml mvnw ./
COPY .mvn ./.mvn/
RUN ./mvnw dependency:go-offline -B -ntp -DskipTests
COPY . .
RUN ./mvnw -B -ntp package -DskipTests
