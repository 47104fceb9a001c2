# syntax=docker/dockerfile:1
FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
WORKDIR /source
COPY . .
RUN --mount=type=cache,target=/root/.nuget/packages dotnet publish -c Release -o /app
