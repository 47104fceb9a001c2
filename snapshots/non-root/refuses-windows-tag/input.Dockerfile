FROM mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2022
WORKDIR /app
COPY app/ .
ENTRYPOINT ["aspnetapp"]
