# corelogd on Debian 12: a build stage with the toolchain and the -dev
# packages the CMake configure step requires (scripts/install-deps.sh lists
# them; librdkafka-dev is needed by the test tools and benchmarks it
# configures), and a runtime stage with only the shared libraries corelogd
# links.
FROM debian:12 AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libboost1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev \
      librocksdb-dev prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev \
      libzstd-dev libsnappy-dev liblz4-dev zlib1g-dev libbz2-dev libjemalloc-dev librdkafka-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build --target corelogd \
 && install -D /build/broker/corelogd /out/corelogd

FROM debian:12
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      librocksdb7.8 libprometheus-cpp-core1.0 libjemalloc2 \
      libboost-program-options1.81.0 libboost-json1.81.0 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/corelog --create-home corelog
COPY --from=build /out/corelogd /usr/local/bin/corelogd
USER corelog
VOLUME /var/lib/corelog
EXPOSE 9092 9644
HEALTHCHECK --interval=5s --timeout=2s --start-period=30s \
  CMD curl -fsS http://127.0.0.1:9644/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/corelogd"]
CMD ["--listen", "0.0.0.0:9092", "--advertised-listener", "corelog:9092", \
     "--metrics-listen", "0.0.0.0:9644", "--data-dir", "/var/lib/corelog"]
