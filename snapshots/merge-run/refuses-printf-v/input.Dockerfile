FROM debian:12
SHELL ["/bin/bash", "-c"]
RUN printf -v STAMP "%s" "$(date +%F)"
RUN echo "$STAMP" > /stamp
