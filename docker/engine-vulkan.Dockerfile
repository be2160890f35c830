# syntax=docker/dockerfile:1
# mistral-engine for GPU nodes through Vulkan (spec.engine.accelerator: vulkan): the CPU image's
# binary and layout (docker/engine.Dockerfile: `pull` in the init container, `serve` in the main
# one, `command: [mistral-engine]`), plus the Vulkan loader and the Mesa drivers.
#
# Build from the repository root:
#   docker build -f docker/engine-vulkan.Dockerfile -t ghcr.io/mistral-fleet/engine-vulkan:0.1.0 .

FROM debian:bookworm AS build
# What scripts/setup.sh installs for a build, less the test and benchmark tools, plus what the
# Vulkan backend builds with: the loader's headers and glslc for the GLSL compute shaders.
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
# RelWithDebInfo: the configuration CI builds and tests (with -Werror); strip drops its line
# tables.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMF_BUILD_TESTS=OFF \
      -DMF_BUILD_BENCH=OFF \
 && cmake --build build --target mistral-engine \
 && strip build/engine/mistral-engine

FROM debian:bookworm-slim
# libvulkan1 is the Vulkan loader: it reads the ICD files (JSON naming a driver library) in
# /usr/share/vulkan/icd.d and /etc/vulkan/icd.d and loads every driver listed there.
# mesa-vulkan-drivers brings Mesa's ICDs:
# - RADV for AMD GPUs. The amd.com/gpu device plugin puts /dev/kfd and /dev/dri/renderD* in the
#   container; RADV needs only the render node. It is owned by the host's `render` group, so a
#   pod running as 65532 needs that group id in supplementalGroups, or a container runtime that
#   gives devices the pod's owner (containerd device_ownership_from_security_context).
# - ANV for Intel GPUs (gpu.intel.com/i915, the same render node).
# - lavapipe, a CPU Vulkan device: the engine runs with no GPU at all (tests, CI).
# NVIDIA's Vulkan driver is not in Debian's images: it ships with the host's driver, and the
# NVIDIA container toolkit mounts it into the container (below).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libssl3 libspdlog1.10 libfmt9 libvulkan1 mesa-vulkan-drivers \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin nonroot
# The NVIDIA container toolkit mounts only what the capabilities ask for, and its default
# (compute,utility) leaves out Vulkan. `graphics` makes it mount the driver's Vulkan ICD file
# (nvidia_icd.json, into /etc/vulkan/icd.d or /usr/share/vulkan/icd.d) and the libGLX_nvidia
# library that file names, next to libcuda and nvidia-smi. The operator sets the same variable in
# the pod for nvidia.com/* GPUs, for images built otherwise.
# NVIDIA_VISIBLE_DEVICES=all is the toolkit's convention for GPU images: the device plugin
# replaces it with the GPUs it allocated to the container (nvidia.com/gpu in the limits).
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
    NVIDIA_VISIBLE_DEVICES=all
COPY --from=build /src/build/engine/mistral-engine /usr/local/bin/mistral-engine
# The uid the operator's pods run as (runAsUser 65532); numeric so runAsNonRoot can check it.
USER 65532:65532
EXPOSE 8000
ENTRYPOINT ["mistral-engine"]
CMD ["--help"]
