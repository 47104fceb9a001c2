FROM node:20
WORKDIR /usr/src/app
ONBUILD COPY . /usr/src/app
ONBUILD RUN npm install
CMD ["npm", "start"]
