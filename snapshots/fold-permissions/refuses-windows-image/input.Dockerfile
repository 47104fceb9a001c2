FROM mcr.microsoft.com/windows/servercore:ltsc2022
COPY run.sh C:/app/
RUN chmod +x C:/app/run.sh
