FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
COPY src/accounting/ /app/Accounting/
WORKDIR /app/Accounting
RUN dotnet publish Accounting.csproj -c Release -o /out
