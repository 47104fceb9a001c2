FROM rust:1.79-bookworm AS build
WORKDIR /usr/src/app
COPY . .
RUN cargo build --release

FROM debian:bookworm-slim
WORKDIR /usr/src/app
COPY --from=build /usr/src/app/target/release/site /usr/src/app/target/release/site
CMD ["./target/release/site"]
