FROM golang:1.22-bookworm AS build
WORKDIR /src
COPY . .
ENV CGO_ENABLED=0
RUN go build -o server .

FROM scratch
WORKDIR /src
ENV CGO_ENABLED=0
COPY --from=build /src/server /src/server
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["./server"]
