FROM alpine:3.20
RUN apk add --no-cache tini
ARG BUILD_DATE
ENV NODE_ENV=production
LABEL org.opencontainers.image.created=$BUILD_DATE
WORKDIR /app
COPY . .
