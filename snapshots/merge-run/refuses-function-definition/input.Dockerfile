FROM debian:12
RUN build() { make; }
RUN build
