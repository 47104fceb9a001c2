FROM maven:3.9-eclipse-temurin-21 AS deps
WORKDIR /src
COPY pom.xml .
RUN mvn dependency:go-offline

FROM deps AS build
COPY src ./src
RUN mvn -o package

FROM eclipse-temurin:21
COPY --from=build /root/.m2/repository /m2
