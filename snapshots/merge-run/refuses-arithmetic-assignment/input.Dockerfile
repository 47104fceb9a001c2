FROM debian:12
RUN echo "jobs: $((JOBS = 4))"
RUN make -j"$JOBS"
