FROM rust:1.82 AS build
WORKDIR /app
COPY . .
RUN cargo build --locked --release && cp ./target/release/server /bin/server
