#!/usr/bin/env bash
# Runs the Vulkan GPU benchmark from bench/gpu-kit.tar.xz (made by bench/gpu_kit.sh) in a copy of
# the repository on a GPU machine: unpacks the kit into KIT (/tmp/gpu-kit), writes the 7B-shape
# file there with the kit's engine, runs DEVICE=vulkan bench/model_speed.sh and copies every
# round's JSON lines to OUT ($OUT, or bench/results). Where the machine has no jq or bc, the table
# is printed afterwards wherever the results are: REPORT_ONLY=1 DEVICE=vulkan bench/model_speed.sh.
# usage: bench/gpu_kit_run.sh [TYPES=q4_k_m] [ROUNDS=3]
# The device tool: run(command="bench/gpu_kit_run.sh", carry=["bench/gpu-kit.tar.xz"]).
set -euo pipefail
cd "$(dirname "$0")/.."
types=${1:-q4_k_m} rounds=${2:-3}
kit=${KIT:-/tmp/gpu-kit} out=${OUT:-bench/results}
mkdir -p "$kit" "$out"
if [ ! -x "$kit/node/node" ]; then
  if command -v xz >/dev/null; then xz -dc bench/gpu-kit.tar.xz | tar -C "$kit" -xf -
  else python3 -m tarfile -e bench/gpu-kit.tar.xz "$kit"; fi
fi
# node-llama-cpp and the vocabulary are found from the repository's node_modules.
[ -e node_modules ] || ln -s "$kit/node_modules" node_modules
libs=$kit/lib
for lib in libvulkan.so.1 libGLdispatch.so.0; do
  ldconfig -p | grep -q "$lib " || { libs=$libs:$kit/lib-gpu; break; }
done
export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# NVIDIA's driver folder of container images, where its Vulkan driver is not registered.
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
registered=$(find /usr/share/vulkan/icd.d /etc/vulkan/icd.d -name 'nvidia*' 2>/dev/null | head -1)
if [ -f "$nvidia_icd" ] && [ -z "$registered" ]; then
  export VK_DRIVER_FILES=$nvidia_icd VK_ICD_FILENAMES=$nvidia_icd
fi
"$kit/build/engine/mistral-engine" devices
mkdir -p bench/models
export BUILD_DIR=$kit/build MF_NODE=$kit/node/node NO_BUILD=1 DEVICE=vulkan
status=0
bench/model_speed.sh "$types" "$(nproc)" "$rounds" || status=$?
[ "$out" = bench/results ] || cp bench/results/vulkan_speed-*.jsonl "$out/" || true
exit "$status"
