# syntax=docker/dockerfile:1
FROM rust:1.82 AS build
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git/db \
    cargo build --release
FROM debian:bookworm-slim
COPY --from=build /app/target/release/server /usr/local/bin/server
