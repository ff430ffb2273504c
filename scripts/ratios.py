"""Summarises the rounds of scripts/benchmarks.sh.

For every network and faultline backend: end-to-end points/s in each round, its ratio to
onnxruntime's in the same round, and the median ratio over the rounds. The boundary
overhead (`boundary_overhead`, flags pass vs field alone) is summarised the same way.

    python3 scripts/ratios.py DIR   # DIR holds faultline-N.json and baseline-N.jsonl
"""
import json
import statistics
import sys
from pathlib import Path


def rounds(folder):
    n = 1
    while (folder / f"faultline-{n}.json").exists():
        ours = json.loads((folder / f"faultline-{n}.json").read_text())
        theirs = [json.loads(line) for line in
                  (folder / f"baseline-{n}.jsonl").read_text().splitlines() if line.strip()]
        yield ours, theirs
        n += 1


def main():
    folder = Path(sys.argv[1])
    table = {}  # (network, backend) -> [(points/s, ratio, boundary overhead)]
    for ours, theirs in rounds(folder):
        ort = {b["model"]: b["points_per_second"] for b in theirs
               if b["backend"] == "onnxruntime"}
        for r in ours["results"]:
            network = r["model"].split()[0]
            if network not in ort:
                continue
            pps = r["points_per_second"]
            table.setdefault((r["model"], r["backend"]), []).append(
                (pps, pps / ort[network], r.get("boundary_overhead")))
        for b in theirs:
            table.setdefault((b["model"], b["backend"]), []).append(
                (b["points_per_second"], b["points_per_second"] / ort[b["model"]], None))
    print("\nnetwork          backend        end-to-end M points/s per round    "
          "vs onnxruntime per round    median   boundary overhead (median)")
    for (network, backend), runs in table.items():
        speeds = " ".join(f"{p / 1e6:8.1f}" for p, _, _ in runs)
        ratios = " ".join(f"{q:5.2f}x" for _, q, _ in runs)
        overheads = [o for _, _, o in runs if o is not None]
        overhead = f"{100 * statistics.median(overheads):+.0f} %" if overheads else ""
        print(f"{network:16} {backend:14} {speeds:34} {ratios:28} "
              f"{statistics.median(q for _, q, _ in runs):5.2f}x   {overhead}")


if __name__ == "__main__":
    main()
