#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: faultline's backends and the numpy / onnxruntime baselines on
# the same networks and grid, in ROUNDS alternating rounds (faultline, then the baselines,
# again and again) so that a busy spell of a shared machine weighs on both sides; then
# the ratio to onnxruntime of every backend, per round and the median over rounds.
#   pip install numpy safetensors onnx onnxruntime
#   bash scripts/benchmarks.sh [SIZE] [FAULTLINE_BINARY] [ROUNDS]
# The raw results (faultline's --json, one JSON line per baseline) are printed per round.
set -euo pipefail
size=${1:-2048}
bin=${2:-target/release/faultline}
rounds=${3:-3}
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/models"
for round in $(seq "$rounds"); do
  echo "== round $round of $rounds"
  if [ "$round" = 1 ]; then
    "$bin" bench --size "$size" --repeats 5 --json --save-models "$work/models" >"$work/faultline-$round.json"
  else
    "$bin" bench --size "$size" --repeats 5 --json >"$work/faultline-$round.json"
  fi
  cat "$work/faultline-$round.json"
  python3 "$here/baseline.py" "$work"/models/*.safetensors --size "$size" --threads 2 \
    | tee "$work/baseline-$round.jsonl"
done
python3 "$here/ratios.py" "$work"
