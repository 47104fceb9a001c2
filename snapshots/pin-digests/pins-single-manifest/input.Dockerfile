FROM golang:1.22 AS build
RUN go build -o /out/app .

FROM myorg/app:1.0
COPY --from=build /out/app /usr/local/bin/app
