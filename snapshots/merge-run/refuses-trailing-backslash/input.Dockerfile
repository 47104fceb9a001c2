# escape=`
FROM mcr.example.com/tools:1
RUN echo C:\
RUN echo done
