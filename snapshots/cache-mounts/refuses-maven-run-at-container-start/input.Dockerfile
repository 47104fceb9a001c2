FROM maven:3.9-eclipse-temurin-21
WORKDIR /app
COPY . .
RUN mvn -B compile
CMD ["mvn", "spring-boot:run"]
