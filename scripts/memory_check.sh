#!/usr/bin/env bash
# Peak memory of `faultline eval` with all four arrays against the estimate it checks the
# available memory with (issue: "memory estimates that lie"). For each size and backend it
# prints the estimate (FAULTLINE_SHOW_ESTIMATE=1), the peak resident set /usr/bin/time -v
# measured, and their ratio; the run fails if a peak is more than 10 % off the estimate.
#
#   bash scripts/memory_check.sh [SIZES...]     (default: 8192 12288; needs ~12 GiB free)
#
# Outside CI: a 12288^2 run writes ~6 GB of arrays to a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-8192 12288}")
read -r -a sizes <<<"${sizes[*]}"
bin=${FAULTLINE_BIN:-target/debug/faultline}
[ -n "${FAULTLINE_BIN:-}" ] || cargo build --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" bench --size 8 --repeats 1 --backend cpu --save-models "$tmp/models" >/dev/null 2>&1
model=$(ls "$tmp"/models/*64-64-10*.safetensors | head -1)
status=0
printf '%-6s %-8s %12s %12s %7s\n' size backend estimate peak ratio
for size in "${sizes[@]}"; do
  for backend in cpu gpu; do
    out="$tmp/out"
    mkdir -p "$out"
    if ! FAULTLINE_SHOW_ESTIMATE=1 /usr/bin/time -v "$bin" eval "$model" --size "$size" \
      --backend "$backend" --field "$out/f.npy" --classes "$out/c.npy" --pairs "$out/p.npy" \
      --decision "$out/d.npy" >"$tmp/stdout" 2>"$tmp/stderr"; then
      echo "$size $backend: eval failed: $(grep -m1 '^error' "$tmp/stderr")"
      status=1
      continue
    fi
    estimate=$(sed -n 's/^estimate: \([0-9]*\) bytes$/\1/p' "$tmp/stderr")
    peak_kib=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$tmp/stderr")
    read -r line < <(python3 -c "
e, p = $estimate, $peak_kib * 1024
print(f'{e / 2**30:9.2f} GiB {p / 2**30:9.2f} GiB {p / e:7.3f}', 'ok' if abs(p / e - 1) <= 0.10 else 'OFF')")
    printf '%-6s %-8s %s\n' "$size" "$backend" "$line"
    [[ "$line" == *OFF ]] && status=1
    rm -rf "$out"
  done
done
exit "$status"
