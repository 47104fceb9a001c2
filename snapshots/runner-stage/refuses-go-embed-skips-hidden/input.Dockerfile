FROM golang:1.22
WORKDIR /src
COPY . .
RUN go build -o /bin/server .
EXPOSE 8080
CMD ["/bin/server"]
