# syntax=docker/dockerfile:1
# mistral-engine for CPU nodes. One image serves both containers the operator puts in an engine
# pod: the init container runs `mistral-engine pull` into the model cache and the main container
# `mistral-engine serve`. The operator sets `command: [mistral-engine]` and passes the
# subcommand in `args`, so the binary must be on PATH; the ENTRYPOINT makes `docker run IMAGE
# serve ...` work the same way.
#
# Build from the repository root:
#   docker build -f docker/engine.Dockerfile -t ghcr.io/mistral-fleet/engine:0.1.0 .

FROM debian:bookworm AS build
# What scripts/setup.sh installs for a build, less the test and benchmark tools. The engine is one
# binary for both images, so it builds with the Vulkan loader's headers and glslc here too.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential g++ cmake ninja-build pkg-config ca-certificates \
      nlohmann-json3-dev libspdlog-dev libfmt-dev libboost-dev libssl-dev libyaml-cpp-dev \
      libvulkan-dev glslc \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The top-level CMakeLists.txt configures common/, engine/ and operator/ together.
COPY CMakeLists.txt ./
COPY common common
COPY engine engine
COPY operator operator
# The SIMD kernels are picked at run time from the CPU's features, so one build runs on any
# x86-64 node.
# RelWithDebInfo: the configuration CI builds and tests (with -Werror); strip drops its line
# tables.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMF_BUILD_TESTS=OFF \
      -DMF_BUILD_BENCH=OFF \
 && cmake --build build --target mistral-engine \
 && strip build/engine/mistral-engine

FROM debian:bookworm-slim
# Runtime libraries only. ca-certificates: `pull` downloads from Hugging Face over TLS. The
# preStop hook runs `sleep` from coreutils on clusters older than 1.30 (no sleep action there).
# libvulkan1 is the loader the binary links; with no driver installed it finds no device, and
# `mistral-engine devices` says so.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 libspdlog1.10 libfmt9 \
      libvulkan1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin nonroot
COPY --from=build /src/build/engine/mistral-engine /usr/local/bin/mistral-engine
# The uid the operator's pods run as (runAsUser 65532); numeric so runAsNonRoot can check it.
USER 65532:65532
EXPOSE 8000
ENTRYPOINT ["mistral-engine"]
CMD ["--help"]
