FROM golang:1.22
WORKDIR /src
COPY . .
RUN go generate ./... && go build -o /bin/server .
CMD ["/bin/server"]
