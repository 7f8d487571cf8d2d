# The Stride API in a container. Build: docker build -t stride .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p stride && cp target/release/stride /usr/local/bin/stride

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 stride
COPY --from=build /usr/local/bin/stride /usr/local/bin/stride
USER stride
ENV STRIDE_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["stride"]
CMD ["serve"]
