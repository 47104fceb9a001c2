FROM debian:bookworm-slim
ARG APP_UID=0
USER ${APP_UID}
CMD ["sleep", "infinity"]
