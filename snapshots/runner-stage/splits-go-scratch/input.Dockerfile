FROM golang:1.22-bookworm
WORKDIR /src
COPY . .
ENV CGO_ENABLED=0
RUN go build -o server .
ENTRYPOINT ["./server"]
