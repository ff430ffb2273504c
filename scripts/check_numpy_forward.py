"""Cross-checks a Faultline model file and `faultline eval` output with plain numpy.

    faultline eval MODEL --size 64x48 --backend cpu --field field.npy
    python scripts/check_numpy_forward.py MODEL field.npy

Loads MODEL with `safetensors.numpy.load_file`, runs a float64 forward pass in the PyTorch
layout on the grid that field.npy was evaluated on (the model's domain, unless --domain is
given the same way as to eval), and compares. Exit 0 when they agree within 1e-4 relative
+ 1e-5 absolute, the absolute part scaled by a tenth of the cell's largest output where
that is above 10: the tolerance every fast path (native CPU, GPU) is held to against the
float64 reference, as they compute in float32 (an output near 0 that is the difference of
logits near 100 carries the rounding of those logits).

With --epoch E (a model trained with --snapshot-every), the forward pass uses that
snapshot's tensors, snapshots.E.layers.K.weight and .bias, as `eval --epoch E` does.
"""

import argparse
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "tests", "fixtures"))
from make_pytorch_fixture import forward, grid  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("field")
    p.add_argument("--domain", help="x0,x1,y0,y1 as given to faultline eval")
    p.add_argument("--epoch", type=int, help="use the snapshot of this epoch")
    a = p.parse_args()
    tensors = load_file(a.model)
    if a.epoch is not None:
        prefix = f"snapshots.{a.epoch}."
        tensors = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        if not tensors:
            sys.exit(f"{a.model} holds no snapshot of epoch {a.epoch}")
    with safe_open(a.model, "np") as f:
        meta = f.metadata()
    activations = meta["activations"].split(",")
    if a.domain:
        v = [float(s) for s in a.domain.split(",")]
        domain = [[v[0], v[1]], [v[2], v[3]]]
    else:
        domain = json.loads(meta["domain"])
    field = np.load(a.field)
    h, w, c = field.shape
    expected = forward(tensors, activations, grid(domain, w, h))
    err = np.abs(field.astype(np.float64) - expected)
    scale = np.maximum(1.0, 0.1 * np.max(np.abs(expected), axis=-1, keepdims=True))
    ok = np.all(err <= 1e-5 * scale + 1e-4 * np.abs(expected))
    epoch = "" if a.epoch is None else f" (epoch {a.epoch})"
    print(f"{a.model}{epoch}: {len(activations)} layers, field {field.shape} {field.dtype}, "
          f"max abs error vs numpy {err.max():.3g}: {'OK' if ok else 'MISMATCH'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
