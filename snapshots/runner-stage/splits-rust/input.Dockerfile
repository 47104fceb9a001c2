FROM rust:1.79-bookworm
WORKDIR /usr/src/app
COPY . .
RUN cargo build --release --locked
STOPSIGNAL SIGINT
CMD ["./target/release/myapp"]
