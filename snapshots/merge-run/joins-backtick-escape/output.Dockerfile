# escape=`
FROM mcr.example.com/tools:1
RUN make all `
    && make check `
    && ./install.sh
