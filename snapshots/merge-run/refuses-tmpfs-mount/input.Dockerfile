FROM debian:12
RUN --mount=type=tmpfs,target=/scratch ./fetch.sh /scratch
RUN --mount=type=tmpfs,target=/scratch ./build.sh /scratch
