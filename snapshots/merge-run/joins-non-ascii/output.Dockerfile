FROM debian:12
RUN echo "héllo wörld" \
    && echo "naïve"
