"""Cross-checks `faultline eval` on a plane (--axes, --through, --pca, --plane) with numpy.

    faultline eval MODEL --through DATA.csv:I,J,K --size 256 --field f.npy --classes c.npy --plane-out p.json
    python scripts/check_plane.py MODEL p.json f.npy --classes c.npy --through DATA.csv:I,J,K

Grid sample (r, c) is origin + s_c u + t_r v, s_c and t_r as the README defines them for a
domain. Checks, each printed: the field against a float64 numpy forward pass of the
original (wide) network at those inputs (1e-4 relative + 1e-5 absolute, the absolute part
scaled as in check_numpy_forward.py); the classes against its argmax (or threshold) except
where the top two outputs are within 1e-4; with --through, that the three samples lie on
the plane (reconstruction error <= 1e-5 relative) inside its domain; with --pca, that the
plane's span is the data's top two principal directions (subspace angle <= 1e-3 rad, by
numpy's SVD). Exit 0 when every check holds.
"""

import argparse
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures"))
from make_pytorch_fixture import forward  # noqa: E402


def features(path, names, n):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float64)
    if names and all(name in header for name in names):
        cols = [header.index(name) for name in names]
    else:
        cols = [c for c in range(len(header)) if np.all(np.isfinite(data[:, c]))][:n]
    return data[:, cols]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("plane")
    p.add_argument("field")
    p.add_argument("--classes")
    p.add_argument("--through", help="DATA.csv:I,J,K as given to faultline eval")
    p.add_argument("--pca", help="DATA.csv as given to faultline eval")
    a = p.parse_args()
    tensors = load_file(a.model)
    with safe_open(a.model, "np") as f:
        meta = f.metadata()
    activations = meta["activations"].split(",")
    names = json.loads(meta["inputs"]) if "inputs" in meta else None
    plane = json.load(open(a.plane))
    origin, u, v = (np.array(plane[k], dtype=np.float64) for k in ("origin", "u", "v"))
    (s0, s1), (t0, t1) = plane["domain"]
    field = np.load(a.field).astype(np.float64)
    h, w, c = field.shape
    s = s0 + (s1 - s0) * np.arange(w) / max(w - 1, 1)
    t = t0 + (t1 - t0) * np.arange(h) / max(h - 1, 1)
    points = origin + s[None, :, None] * u + t[:, None, None] * v
    expected = forward(tensors, activations, points)
    err = np.abs(field - expected)
    scale = np.maximum(1.0, 0.1 * np.max(np.abs(expected), axis=-1, keepdims=True))
    rel = err / np.maximum(np.abs(expected), 1e-30)
    ok = bool(np.all(err <= 1e-5 * scale + 1e-4 * np.abs(expected)))
    print(f"field {field.shape} vs numpy float64 on the plane's {w}x{h} points: max abs error {err.max():.3g}: {'OK' if ok else 'MISMATCH'}")
    if a.classes:
        classes = np.load(a.classes).astype(np.int64)
        if c == 1:
            threshold = 0.5 if activations[-1] == "sigmoid" else 0.0
            want = (expected[..., 0] > threshold).astype(np.int64)
            margin = np.abs(expected[..., 0] - threshold)
        else:
            want = np.argmax(expected, axis=-1)
            top = np.sort(expected, axis=-1)
            margin = top[..., -1] - top[..., -2]
        differ = classes != want
        near = margin <= 1e-4 * np.maximum(1.0, np.abs(expected).max(axis=-1))
        good = bool(np.all(near[differ]))
        ok &= good
        print(f"classes: {differ.sum()} of {classes.size} differ from numpy's, all at near-ties: {'OK' if good else 'MISMATCH'}")
    if a.through:
        data, rows = a.through.rsplit(":", 1)
        x = features(data, names, len(origin))[[int(r) for r in rows.split(",")]]
        basis = np.stack([u, v], axis=1)
        coords, *_ = np.linalg.lstsq(basis, (x - origin).T, rcond=None)
        back = origin + coords.T @ basis.T
        recon = np.linalg.norm(back - x, axis=1) / np.maximum(np.linalg.norm(x, axis=1), 1e-30)
        inside = bool(np.all((coords[0] >= s0) & (coords[0] <= s1) & (coords[1] >= t0) & (coords[1] <= t1)))
        good = bool(recon.max() <= 1e-5) and inside
        ok &= good
        print(f"samples {rows}: reconstruction error {recon.max():.3g} (relative), inside the domain: {inside}: {'OK' if good else 'MISMATCH'}")
    if a.pca:
        x = features(a.pca, names, len(origin))
        mean = x.mean(axis=0)
        _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
        q_ours, _ = np.linalg.qr(np.stack([u, v], axis=1))
        cosines = np.linalg.svd(vt[:2] @ q_ours, compute_uv=False)
        angle = float(np.arccos(np.clip(cosines.min(), -1, 1)))
        good = angle <= 1e-3 and np.allclose(origin, mean, rtol=1e-9, atol=1e-9)
        ok &= good
        print(f"pca: largest subspace angle to numpy's top two directions {angle:.3g} rad, origin at the mean: {'OK' if good else 'MISMATCH'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
