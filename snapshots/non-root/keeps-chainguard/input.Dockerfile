FROM cgr.dev/chainguard/node:latest
WORKDIR /app
COPY . .
CMD ["server.js"]
