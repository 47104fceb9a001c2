FROM debian:12
RUN ./gen-list.sh
RUN diff <(sort a.txt) <(sort b.txt)
