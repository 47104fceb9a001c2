FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
WORKDIR /source
COPY App.sln Directory.Build.props NuGet.config ./
COPY src/Api/Api.csproj ./src/Api/
COPY src/Lib/Lib.csproj ./src/Lib/
RUN dotnet restore src/Api/Api.csproj -r linux-x64
COPY . .
RUN dotnet publish src/Api/Api.csproj -c Release -o /app -r linux-x64
