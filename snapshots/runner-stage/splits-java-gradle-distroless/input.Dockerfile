FROM gradle:8.7-jdk17
WORKDIR /home/gradle/project
COPY . .
RUN gradle bootJar --no-daemon && cp build/libs/app-0.1.jar /app.jar
ENTRYPOINT ["java", "-jar", "/app.jar"]
