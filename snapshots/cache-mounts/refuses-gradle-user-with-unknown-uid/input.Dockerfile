FROM eclipse-temurin:21
RUN useradd -m builder
USER builder
WORKDIR /home/builder/src
RUN ./gradlew build --no-daemon
