FROM alpine:3.19 AS cfg
RUN echo cache=/tmp/npm > /npmrc

FROM node:20
COPY --from=cfg /npmrc /usr/local/etc/npmrc
RUN npm install -g pnpm
