#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: faultline's backends and the numpy / onnxruntime baselines on
# the same networks and grid, one after the other in one run.
#   pip install numpy safetensors onnx onnxruntime
#   bash scripts/benchmarks.sh [SIZE] [FAULTLINE_BINARY]
set -euo pipefail
size=${1:-2048}
bin=${2:-target/release/faultline}
models=$(mktemp -d)
trap 'rm -rf "$models"' EXIT
"$bin" bench --size "$size" --repeats 5 --json --save-models "$models"
python3 "$(dirname "$0")/baseline.py" "$models"/*.safetensors --size "$size" --threads 2
