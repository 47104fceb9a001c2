FROM maven:3.9-eclipse-temurin-21
WORKDIR /app
COPY . .
RUN mvn dependency:go-offline -B && mvn -B package
