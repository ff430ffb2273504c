#!/usr/bin/env bash
# Checks the dependency rules the crates' lib.rs state: burn only in faultline-train,
# winit only in faultline-viewer, no wgpu in faultline-model, faultline-import,
# faultline-analysis, faultline-cpu or faultline-shader (normal dependencies; dev-dependencies may use anything).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
# crate: the dependencies it must not have (prefixes of crate names)
rules=(
  "faultline-model:burn winit wgpu"
  "faultline-import:burn winit wgpu"
  "faultline-analysis:burn winit wgpu"
  "faultline-cpu:burn winit wgpu"
  "faultline-shader:burn winit wgpu"
  "faultline-gpu:burn winit"
  "faultline-render:burn winit"
  "faultline-train:winit"
  "faultline-viewer:burn"
)
for rule in "${rules[@]}"; do
  crate=${rule%%:*}
  tree=$(cargo tree --locked -p "$crate" -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
  for banned in ${rule#*:}; do
    found=$(grep -E "^${banned}(-|$)" <<<"$tree" || true)
    if [ -n "$found" ]; then
      echo "error: $crate depends on $banned: $(tr '\n' ' ' <<<"$found")"
      status=1
    fi
  done
done
[ "$status" = 0 ] && echo "dependency rules hold (${#rules[@]} crates checked)"
exit "$status"
