FROM gradle:8.7-jdk17
WORKDIR /src
COPY . .
CMD ["gradle", "bootRun"]
