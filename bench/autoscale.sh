#!/usr/bin/env bash
# The autoscaling benchmark (bench/autoscale/): builds mistral-autoscale-bench (with the operator
# and the engine it starts) and runs it under a time limit, the table on stdout and the JSON in
# bench/results/autoscale.json. Arguments go to the benchmark (see its --help); a full run with
# the defaults takes about 25 minutes.
#
# usage: bench/autoscale.sh [--duration 600] [--trials 5] [...]
#   BUILD_DIR (default build) is configured with Ninja when it does not exist yet;
#   LIMIT (default 3600) is the time limit in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja >&2
cmake --build "$build" --target mistral-autoscale-bench -j"$(nproc)" >&2
mkdir -p bench/results
exec timeout --signal=TERM --kill-after=60 "${LIMIT:-3600}" \
  "$build/bench/autoscale/mistral-autoscale-bench" --json bench/results/autoscale.json "$@"
