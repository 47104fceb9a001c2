FROM golang:1.22-bookworm AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /bin/server .

FROM debian:bookworm-slim
WORKDIR /src
COPY --from=build /bin/server /bin/server
EXPOSE 80
CMD ["/bin/server"]
