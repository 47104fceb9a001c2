FROM gradle:8-jdk21 AS build
WORKDIR /home/gradle/src
COPY . .
RUN ./gradlew build --no-daemon
