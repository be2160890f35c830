#!/usr/bin/env bash
# The main job for now: write a small Mistral GGUF with the real vocabulary and generate from it,
# plain and as a chat.
set -euo pipefail
cd "$(dirname "$0")/.."
engine=build/engine/mistral-engine
mkdir -p models
$engine synth --out models/tiny-q4_k_m.gguf --type q4_k_m --shape tiny --layers 4 --seed 7
$engine info models/tiny-q4_k_m.gguf | tail -n 12
$engine generate --model models/tiny-q4_k_m.gguf --prompt "Once upon a time" --max-tokens 32 \
  --temperature 0
$engine generate --model models/tiny-q4_k_m.gguf --chat --system "Be brief." \
  --prompt "What is Kubernetes?" --max-tokens 24 --temperature 0.7 --seed 1 --json
