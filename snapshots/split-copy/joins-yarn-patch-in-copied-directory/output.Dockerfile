FROM node:20
WORKDIR /app
COPY package.json yarn.lock .yarnrc.yml ./
COPY .yarn/patches ./.yarn/patches/
RUN yarn install --immutable
COPY . .
