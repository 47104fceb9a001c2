FROM eclipse-temurin:21-jre
WORKDIR /app
COPY --chown=app:0 app.jar /app/app.jar
CMD ["java", "-jar", "/app/app.jar"]
