FROM debian:12
RUN echo "héllo wörld"
RUN echo "naïve"
