# syntax=docker/dockerfile:1
FROM rust:1.79-bookworm
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/app/target cargo build --release
CMD ["/app/target/release/app"]
