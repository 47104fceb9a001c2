FROM bitnami/node:20
RUN install_packages curl
USER root
CMD ["node", "server.js"]
