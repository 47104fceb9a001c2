FROM debian:12
RUN --mount=type=bind,source=.,target=/src,rw ./prepare.sh /src
RUN --mount=type=bind,source=.,target=/src,rw ./build.sh /src
