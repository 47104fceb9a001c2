FROM eclipse-temurin:21
WORKDIR /app
COPY . .
RUN ./mvnw -B package
