FROM mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled
WORKDIR /app
COPY app/ .
ENTRYPOINT ["./aspnetapp"]
