FROM rust:1.79 AS build
WORKDIR /app
COPY . .
RUN cargo build --release --locked
