FROM eclipse-temurin:21-jre
WORKDIR /app
COPY app.jar /app/app.jar
RUN chown app /app/app.jar
CMD ["java", "-jar", "/app/app.jar"]
