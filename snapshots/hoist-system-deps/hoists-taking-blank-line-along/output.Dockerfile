FROM alpine:3.20
# shell for the scripts
RUN apk add --no-cache bash
WORKDIR /app
COPY . .

CMD ["./start.sh"]
