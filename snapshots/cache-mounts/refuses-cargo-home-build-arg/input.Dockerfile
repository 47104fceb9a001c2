FROM rust:1.82
ARG CARGO_HOME
RUN cargo install ripgrep
