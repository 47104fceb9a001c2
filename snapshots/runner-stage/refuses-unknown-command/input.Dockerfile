FROM golang:1.22
WORKDIR /src
COPY . .
RUN make build
CMD ["/src/bin/app"]
