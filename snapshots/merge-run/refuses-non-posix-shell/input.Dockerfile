FROM mcr.example.com/powershell:lts
SHELL ["pwsh", "-Command"]
RUN Write-Host one
RUN Write-Host two
