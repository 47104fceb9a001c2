FROM golang:1.22
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /bin/app .
CMD /bin/app --port 8080
