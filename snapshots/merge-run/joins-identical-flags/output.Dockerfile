FROM golang:1.22
RUN --mount=type=cache,target=/root/.cache/go-build go build -o /out/app ./cmd/app \
    && /out/app --self-test
