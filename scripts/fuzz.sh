#!/usr/bin/env bash
# Runs each cargo-fuzz target for SECONDS (default 300) on nightly, seeded from the test
# fixtures, and prints what each found. Outside CI. Needs `cargo install cargo-fuzz`.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# A crash is saved under fuzz/artifacts/TARGET/; reproduce it with
# `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...`, then add the file as a
# regression case (tests/bad_model_files.rs) before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors_loader onnx_importer header_keys)
for target in "${targets[@]}"; do
  corpus=fuzz/corpus/$target
  mkdir -p "$corpus"
  case $target in
    safetensors_loader) cp tests/fixtures/*.safetensors "$corpus"/ ;;
    onnx_importer) cp tests/fixtures/*.onnx "$corpus"/ ;;
    header_keys)
      for f in tests/fixtures/*.safetensors; do
        python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(); n=struct.unpack('<Q',d[:8])[0]; sys.stdout.buffer.write(d[8:8+n])" "$f" >"$corpus/$(basename "$f").json"
      done ;;
  esac
  echo "== $target for $seconds s"
  start=$(date +%s)
  status=0
  cargo +nightly fuzz run "$target" "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=10 -max_len=65536 2>&1 | tail -4 || status=$?
  echo "$target: ran $(( $(date +%s) - start )) s, exit $status, artifacts: $(ls fuzz/artifacts/"$target" 2>/dev/null | wc -l)"
done
