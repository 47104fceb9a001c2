FROM gradle:8-jdk21
RUN mkdir -p /home/gradle/.gradle && chown -R gradle:gradle /home/gradle/.gradle
USER gradle
WORKDIR /home/gradle/project
COPY --chown=gradle:gradle . .
RUN gradle build --no-daemon
