# syntax=docker/dockerfile:1
# mistral-operator. The chart's Deployment passes only `args`, so the ENTRYPOINT is the operator.
#
# Build from the repository root:
#   docker build -f docker/operator.Dockerfile -t ghcr.io/mistral-fleet/operator:0.1.0 .

FROM debian:bookworm AS build
# What scripts/setup.sh installs for a build, less the test and benchmark tools.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential g++ cmake ninja-build pkg-config ca-certificates \
      nlohmann-json3-dev libspdlog-dev libfmt-dev libboost-dev libssl-dev libyaml-cpp-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The top-level CMakeLists.txt configures common/, engine/ and operator/ together.
COPY CMakeLists.txt ./
COPY common common
COPY engine engine
COPY operator operator
# RelWithDebInfo: the configuration CI builds and tests (with -Werror); strip drops its line
# tables.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMF_BUILD_TESTS=OFF \
      -DMF_BUILD_BENCH=OFF \
 && cmake --build build --target mistral-operator \
 && strip build/operator/mistral-operator

FROM debian:bookworm-slim
# Runtime libraries only. ca-certificates: a Prometheus source (spec.scaling.prometheus) may be
# https; the API server's CA comes from the service account mount.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libssl3 libspdlog1.10 libfmt9 libyaml-cpp0.7 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin nonroot
COPY --from=build /src/build/operator/mistral-operator /usr/local/bin/mistral-operator
# The chart runs it as 65532 with runAsNonRoot; numeric so the kubelet can check it.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["mistral-operator"]
