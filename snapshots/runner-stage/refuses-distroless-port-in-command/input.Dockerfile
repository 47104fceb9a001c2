FROM golang:1.22
WORKDIR /src
COPY . .
RUN go build -o /bin/server .
CMD ["/bin/server", "--listen=:80"]
