FROM golang:1.22@sha256:de4e403d98f279488cc1a265f8a675a645b556811134d7386220476c7094e324 AS build
RUN go build -o /out/app .

FROM myorg/app:1.0@sha256:d5b9d4e786ff447b2416b1f50b863656de3031f9aa7bea4cb846495592c9f564
COPY --from=build /out/app /usr/local/bin/app
