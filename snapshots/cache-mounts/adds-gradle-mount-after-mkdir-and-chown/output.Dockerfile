# syntax=docker/dockerfile:1
FROM gradle:8-jdk21
RUN mkdir -p /home/gradle/.gradle && chown -R gradle:gradle /home/gradle/.gradle
USER gradle
WORKDIR /home/gradle/project
COPY --chown=gradle:gradle . .
RUN --mount=type=cache,target=/home/gradle/.gradle/caches,uid=1000,gid=1000 \
    --mount=type=cache,target=/home/gradle/.gradle/wrapper,uid=1000,gid=1000 \
    gradle build --no-daemon
