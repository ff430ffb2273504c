"""Baselines for `faultline bench`: the same network on the same grid with numpy and with
onnxruntime's CPU provider, reading our model file.

    pip install numpy safetensors onnx onnxruntime
    faultline bench --save-models /tmp/fl-models          # the built-in bench nets
    python scripts/baseline.py /tmp/fl-models/*.safetensors --size 2048 --threads 2

Prints one JSON object per model and backend: points per second end to end (the float32
field [H, W, C] in host memory), median of --repeats runs after one warm-up. The grid is
built as faultline builds it (numpy linspace / meshgrid over the model's domain); building
it is not timed, as faultline computes coordinates inside its kernels.
"""

import argparse
import json
import time

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def load(path):
    tensors = load_file(path)
    with safe_open(path, "np") as f:
        meta = f.metadata()
    acts = meta["activations"].split(",")
    layers = [(tensors[f"layers.{k}.weight"].astype(np.float32),
               tensors[f"layers.{k}.bias"].astype(np.float32)) for k in range(len(acts))]
    domain = json.loads(meta.get("domain", "[[-1, 1], [-1, 1]]"))
    return layers, acts, domain


def grid(domain, n):
    xs = np.linspace(domain[0][0], domain[0][1], n, dtype=np.float64)
    ys = np.linspace(domain[1][0], domain[1][1], n, dtype=np.float64)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx, gy], axis=-1).reshape(-1, 2).astype(np.float32)


def numpy_forward(layers, acts, x):
    h = x
    for (w, b), a in zip(layers, acts):
        h = h @ w.T + b
        if a == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-h))
        elif a == "tanh":
            h = np.tanh(h)
        elif a == "relu":
            h = np.maximum(h, 0)
        elif a == "leaky_relu":
            h = np.where(h > 0, h, np.float32(0.01) * h)
        elif a == "softmax":
            e = np.exp(h - h.max(axis=1, keepdims=True))
            h = e / e.sum(axis=1, keepdims=True)
    return h


def onnx_session(layers, acts, threads):
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    prev = "x"
    for k, ((w, b), a) in enumerate(zip(layers, acts)):
        inits += [numpy_helper.from_array(np.ascontiguousarray(w.T), f"w{k}"),
                  numpy_helper.from_array(b, f"b{k}")]
        nodes.append(helper.make_node("Gemm", [prev, f"w{k}", f"b{k}"], [f"g{k}"]))
        prev = f"g{k}"
        op = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu",
              "leaky_relu": "LeakyRelu", "softmax": "Softmax"}.get(a)
        if op:
            attrs = {"alpha": 0.01} if op == "LeakyRelu" else ({"axis": 1} if op == "Softmax" else {})
            nodes.append(helper.make_node(op, [prev], [f"a{k}"], **attrs))
            prev = f"a{k}"
    out_dim = layers[-1][0].shape[0]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 2])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, ["n", out_dim])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return lambda x: sess.run(None, {"x": x})[0]


def timed(f, repeats):
    f()
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        runs.append(time.perf_counter() - t)
    return sorted(runs)[len(runs) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("models", nargs="+")
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    for path in a.models:
        layers, acts, domain = load(path)
        x = grid(domain, a.size)
        arch = "-".join(str(n) for n in [2] + [w.shape[0] for w, _ in layers])
        ort_run = onnx_session(layers, acts, a.threads)
        check = np.abs(ort_run(x) - numpy_forward(layers, acts, x)).max()
        for name, f in [("numpy", lambda: numpy_forward(layers, acts, x)),
                        ("onnxruntime", lambda: ort_run(x))]:
            s = timed(f, a.repeats)
            print(json.dumps({"backend": name, "model": arch, "file": path, "size": a.size,
                              "threads": a.threads if name == "onnxruntime" else 1,
                              "seconds": s, "points_per_second": a.size * a.size / s,
                              "max_abs_diff_ort_vs_numpy": float(check)}))


if __name__ == "__main__":
    main()
