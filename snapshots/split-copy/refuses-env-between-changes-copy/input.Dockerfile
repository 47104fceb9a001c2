FROM node:20
ENV OWNER=root
WORKDIR /app
COPY --chown=$OWNER . .
ENV OWNER=node
RUN npm ci
