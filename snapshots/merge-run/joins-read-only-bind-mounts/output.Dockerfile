FROM debian:12
RUN --mount=type=bind,source=scripts,target=/scripts /scripts/one.sh \
    && /scripts/two.sh
