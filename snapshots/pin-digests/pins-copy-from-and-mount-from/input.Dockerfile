FROM debian:12
COPY --from=nginx:1.25 /etc/nginx/nginx.conf /etc/nginx/nginx.conf
RUN --mount=type=bind,from=node:20,source=/usr/local/bin/node,target=/node \
    /node --version
