FROM gradle:8-jdk21
WORKDIR /src
COPY . .
RUN gradle build --no-daemon
