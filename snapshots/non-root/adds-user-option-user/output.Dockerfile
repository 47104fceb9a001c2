FROM eclipse-temurin:21-jre
COPY target/app.jar /app/app.jar
USER 10001
ENTRYPOINT ["java", "-jar", "/app/app.jar"]
