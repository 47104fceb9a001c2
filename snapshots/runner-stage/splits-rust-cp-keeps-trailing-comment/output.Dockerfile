FROM rust:1.79-slim-bookworm AS build
WORKDIR /build
COPY . .
RUN cargo build --release && cp target/release/svc /usr/local/bin/svc
# end of file

FROM debian:bookworm-slim
WORKDIR /build
COPY --from=build /usr/local/bin/svc /usr/local/bin/svc
CMD ["svc"]
