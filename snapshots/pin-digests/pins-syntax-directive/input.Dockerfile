# syntax=docker/dockerfile:1
FROM debian:12
RUN echo hi
