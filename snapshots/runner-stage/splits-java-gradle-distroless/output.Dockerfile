FROM gradle:8.7-jdk17 AS build
WORKDIR /home/gradle/project
COPY . .
RUN gradle bootJar --no-daemon && cp build/libs/app-0.1.jar /app.jar

FROM gcr.io/distroless/java17-debian12
WORKDIR /home/gradle/project
COPY --from=build /app.jar /app.jar
ENTRYPOINT ["java", "-jar", "/app.jar"]
