FROM rust:1.79-slim-bookworm
WORKDIR /build
COPY . .
RUN cargo build --release && cp target/release/svc /usr/local/bin/svc
CMD ["svc"]
# end of file
