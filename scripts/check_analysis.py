"""Cross-checks `faultline analyze --json` with a float64 numpy computation on the same grid.

    faultline analyze MODEL --size 512 --json > a.json
    python scripts/check_analysis.py MODEL a.json

Recomputes, from the model file alone (Faultline's layout, two inputs): each class's sample
count and dormant flag, each output's largest value, the sigmoid overlap counts, each
hidden neuron's active count and dead flag, the number of distinct relu on/off patterns
and each class's 4-connected pieces (a flood fill), and compares them with the analysis:
counts must be equal except for samples within 1e-4 of a tie (a class), of 0.5 (overlap)
or of 0 / the activity threshold (a neuron), which are listed. Exit 0 when all agree.
"""

import json
import os
import sys
from collections import deque

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures"))
from make_pytorch_fixture import activate, grid  # noqa: E402

NEAR = 1e-4


def pieces(classes, k):
    """4-connected pieces of class k, by breadth-first flood fill."""
    h, w = classes.shape
    seen = np.zeros_like(classes, dtype=bool)
    count = 0
    for r0, c0 in zip(*np.nonzero(classes == k)):
        if seen[r0, c0]:
            continue
        count += 1
        seen[r0, c0] = True
        queue = deque([(r0, c0)])
        while queue:
            r, c = queue.popleft()
            for rr, cc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if 0 <= rr < h and 0 <= cc < w and not seen[rr, cc] and classes[rr, cc] == k:
                    seen[rr, cc] = True
                    queue.append((rr, cc))
    return count


def main():
    model, report = sys.argv[1], json.load(open(sys.argv[2]))
    tensors = load_file(model)
    with safe_open(model, "np") as f:
        activations = f.metadata()["activations"].split(",")
    g = report["grid"]
    h = grid(g["domain"], g["width"], g["height"])
    n = g["width"] * g["height"]
    ok = True

    def check(what, ours, theirs, slack=0):
        nonlocal ok
        good = abs(ours - theirs) <= slack
        ok &= good
        if not good or slack:
            print(f"{what}: ours {ours}, numpy {theirs}, near-ties {slack}: {'OK' if good else 'MISMATCH'}")

    patterns = []
    piecewise = True
    for k, name in enumerate(activations):
        w = tensors[f"layers.{k}.weight"].astype(np.float64)
        b = tensors[f"layers.{k}.bias"].astype(np.float64)
        pre = h @ w.T + b
        post = activate(name, pre)
        if k + 1 < len(activations):
            layer = report["layers"][k]
            for j in range(pre.shape[-1]):
                p, q = pre[..., j], post[..., j]
                if name.startswith("leaky_relu") or name == "relu":
                    on, near = p > 0, np.abs(p) <= NEAR
                elif name == "sigmoid":
                    on = (q > 0.01) & (q < 0.99)
                    near = (np.abs(q - 0.01) <= NEAR) | (np.abs(q - 0.99) <= NEAR)
                elif name == "tanh":
                    on, near = np.abs(q) < 0.99, np.abs(np.abs(q) - 0.99) <= NEAR
                else:
                    on, near = p != 0, np.abs(p) <= NEAR
                ours = round(layer["neurons"][j]["active"] * n)
                check(f"layer {k} neuron {j} active", ours, int(on.sum()), int(near.sum()))
                if layer["neurons"][j]["dead"] != (on.sum() == 0) and near.sum() == 0:
                    print(f"layer {k} neuron {j}: dead flag {layer['neurons'][j]['dead']} MISMATCH")
                    ok = False
            if name == "relu" or name.startswith("leaky_relu"):
                patterns.append(pre > 0)
            elif name != "identity":
                piecewise = False
        h = post
    z = h
    c = z.shape[-1]
    if c == 1:
        threshold = 0.5 if activations[-1] == "sigmoid" else 0.0
        classes = (z[..., 0] > threshold).astype(np.int64)
        near = np.abs(z[..., 0] - threshold) <= NEAR
        count = 2
    else:
        classes = np.argmax(z, axis=-1)
        top = np.sort(z, axis=-1)
        near = top[..., -1] - top[..., -2] <= NEAR
        count = c
    slack = int(near.sum())
    for k in range(count):
        info = report["classes"][k]
        check(f"class {k} samples", round(info["area"] * n), int((classes == k).sum()), slack)
        if slack == 0 and info["dormant"] != bool((classes == k).sum() == 0):
            print(f"class {k}: dormant flag MISMATCH")
            ok = False
        if c > 1:
            check(f"class {k} max score", info["max_score"], float(z[..., k].max()), 1e-4)
        if slack == 0:
            check(f"class {k} pieces", report["regions"]["components"][k], pieces(classes, k))
    if report["overlap"] is not None:
        above = z > 0.5
        near = np.any(np.abs(z - 0.5) <= NEAR, axis=-1)
        o = report["overlap"]
        check("ambiguous samples", round(o["ambiguous_area"] * n), int((above.sum(-1) >= 2).sum()), int(near.sum()))
        check("no-output samples", round(o["none_area"] * n), int((above.sum(-1) == 0).sum()), int(near.sum()))
        for p in o["pairs"]:
            both = int((above[..., p["i"]] & above[..., p["j"]]).sum())
            check(f"both {p['i']} and {p['j']}", round(p["both_area"] * n), both, int(near.sum()))
    if patterns and piecewise:
        signs = np.concatenate([p.reshape(n, -1) for p in patterns], axis=1)
        distinct = len(np.unique(signs, axis=0))
        check("activation patterns", report["regions"]["activation_patterns"], distinct)
    print(f"{model}: analysis vs numpy float64 on {g['width']}x{g['height']}: {'OK' if ok else 'MISMATCH'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
