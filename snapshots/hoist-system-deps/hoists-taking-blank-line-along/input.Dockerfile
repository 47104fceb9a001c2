FROM alpine:3.20
WORKDIR /app
COPY . .

# shell for the scripts
RUN apk add --no-cache bash

CMD ["./start.sh"]
