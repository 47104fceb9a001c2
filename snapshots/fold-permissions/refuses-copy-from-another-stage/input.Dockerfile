FROM golang:1.22 AS build
RUN go build -o /out/app .
FROM debian:12
COPY --from=build /out/app /usr/local/bin/app
RUN chmod +x /usr/local/bin/app
