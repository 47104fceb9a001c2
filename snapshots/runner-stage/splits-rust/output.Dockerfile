FROM rust:1.79-bookworm AS build
WORKDIR /usr/src/app
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
WORKDIR /usr/src/app
COPY --from=build /usr/src/app/target/release/myapp /usr/src/app/target/release/myapp
STOPSIGNAL SIGINT
CMD ["./target/release/myapp"]
