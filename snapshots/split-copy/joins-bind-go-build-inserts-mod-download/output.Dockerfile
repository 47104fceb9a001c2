FROM golang:1.22
WORKDIR /src
RUN --mount=type=bind,source=go.mod,target=/src/go.mod \
    --mount=type=bind,source=go.sum,target=/src/go.sum \
    go mod download
COPY . .
RUN go build -o /bin/app ./cmd/app
CMD ["/bin/app"]
