FROM golang:1.22
WORKDIR /src
COPY . .
RUN go build -o /bin/server .
ENV PORT=443
EXPOSE $PORT
CMD ["/bin/server"]
