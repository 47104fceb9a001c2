FROM golang:1.22
WORKDIR /src
COPY . .
ENV GOPROXY=https://proxy.example.com CGO_ENABLED=0
# build the binary
RUN --mount=type=cache,target=/go/pkg/mod go build -o /app .
