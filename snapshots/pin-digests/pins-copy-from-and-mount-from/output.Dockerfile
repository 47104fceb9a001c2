FROM debian:12@sha256:8b92c3d2d6e2d4e1543bec7979382a256e53849764f4270a94d1205fe6964058
COPY --from=nginx:1.25@sha256:bd832a72a5937a7453e8ce7962c7769d41a8d3b1f9def5331514769a17f6737c /etc/nginx/nginx.conf /etc/nginx/nginx.conf
RUN --mount=type=bind,from=node:20@sha256:70fe7b9c8c95ff6ff28fc45a94c42d03ffc37e4d0f8b0ac8e363c2ec8cb27751,source=/usr/local/bin/node,target=/node \
    /node --version
