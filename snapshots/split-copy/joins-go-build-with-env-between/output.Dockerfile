FROM golang:1.22
WORKDIR /src
COPY go.mod go.sum ./
ENV GOPROXY=https://proxy.example.com CGO_ENABLED=0
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# build the binary
RUN --mount=type=cache,target=/go/pkg/mod go build -o /app .
