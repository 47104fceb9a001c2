FROM debian:12 AS a
RUN echo a
FROM debian:12 AS b
RUN echo b
