FROM alpine:3.19
COPY report.txt /srv/
RUN chgrp 1000 /srv/report.txt
