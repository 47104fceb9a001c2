ARG BASE=mcr.microsoft.com/windows/servercore:ltsc2022
FROM ${BASE}
COPY app.exe C:/app/
CMD ["C:/app/app.exe"]
