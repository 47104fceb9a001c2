FROM node:20
USER node
WORKDIR /home/node
COPY run.sh ./
RUN chmod +x run.sh
