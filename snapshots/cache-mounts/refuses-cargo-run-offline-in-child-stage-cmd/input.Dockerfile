FROM rust:1.79 AS deps
WORKDIR /src
COPY . .
RUN cargo fetch

FROM deps
CMD ["cargo", "run", "--offline", "--release"]
