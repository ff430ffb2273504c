"""Mutation fuzz of the model parser and the command line, through the real binary.

    python3 scripts/fuzz_models.py [--mutants 1500] [--seconds 600] [--seed 1]
                                   [--bin target/debug/faultline]

Mutates three shapes of model file: one `faultline train` wrote (tests/fixtures/
seed_233.safetensors, with its training record), one the PyTorch exporter wrote
(tests/fixtures/pytorch_2543.safetensors) and one in float16 written by the safetensors
numpy API (made here). Mutations: byte flips, truncations, insertions; header edits
(shapes, dtypes, offsets, names, duplicate keys, long strings, huge and non-finite
numbers); metadata edits (activations, domain, classes). Each mutant runs `inspect`,
`eval --field` and `map -o` with a timeout, into outputs that already hold the user's
bytes; then a few hundred command-line cases run on the valid model.

Every run is one of: accepted (exit 0, no `error:` line), a clean refusal (exit 1, one
line `error: ...` of at most 400 characters that names the model file or the flag), a
panic, a hang, an unclear message (anything else), a clobbered file (a failed run
changed an existing output) or a leftover temporary (a `.faultline-*` file remains).
Prints the table; exits 1 if any column but the first three is non-zero.
"""

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
USER_BYTES = b"the user's own file"


def header_of(data):
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def with_header(text, rest):
    raw = text.encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + rest


def float16_model(path):
    import numpy as np
    from safetensors.numpy import save_file
    rng = np.random.default_rng(3)
    tensors = {
        "layers.0.weight": rng.normal(size=(8, 2)).astype(np.float16),
        "layers.0.bias": rng.normal(size=8).astype(np.float16),
        "layers.1.weight": rng.normal(size=(4, 8)).astype(np.float16),
        "layers.1.bias": rng.normal(size=4).astype(np.float16),
    }
    save_file(tensors, path, metadata={
        "activations": "tanh,softmax",
        "domain": "[[-2, 2], [-2, 2]]",
        "classes": json.dumps(["a", "b", "c", "d"]),
    })


def mutate(data, rng):
    """One mutant of the bytes `data` of a valid model file."""
    header, rest = header_of(data)
    kind = rng.randrange(12)
    if kind == 0:  # flip bytes anywhere
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    if kind == 1:  # truncate
        return data[:rng.randrange(len(data))]
    if kind == 2:  # insert or delete bytes in the header region
        i = rng.randrange(8, min(len(data), 8 + 400))
        if rng.random() < 0.5:
            return data[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16))) + data[i:]
        return data[:i] + data[i + rng.randint(1, 16):]
    if kind == 3:  # a bad length prefix
        n = rng.choice([0, 1, 7, 2**63, 2**64 - 1, len(data), rng.randrange(2**40)])
        return struct.pack("<Q", n) + data[8:]
    names = [k for k in header if k != "__metadata__"]
    meta = header.setdefault("__metadata__", {})
    name = rng.choice(names)
    entry = header[name]
    if kind == 4:  # shapes
        entry["shape"] = [rng.choice([0, 1, 2, 3, 4, 8, 65537, 2**31, 2**40, -1]) for _ in range(rng.randint(0, 3))]
    elif kind == 5:  # dtypes
        entry["dtype"] = rng.choice(["F64", "F16", "BF16", "I32", "U8", "BOOL", "F8_E4M3", "X"])
    elif kind == 6:  # offsets
        entry["data_offsets"] = [rng.choice([0, 4, 7, 2**32, 2**63, -4, len(rest)]) for _ in range(2)]
    elif kind == 7:  # names
        new = rng.choice(["layers.9.weight", "layers.00.bias", "fc.weight", "layers.1.gamma",
                          "n" * rng.choice([100, 5000, 20000]), "layers..weight", ""])
        header[new] = header.pop(name)
    elif kind == 8:  # activations
        meta["activations"] = rng.choice(["", "softmax,sigmoid", "relu", "gelu,relu",
                                          "sigmoid," * 300, "x" * 10000, "identity,identity,identity"])
    elif kind == 9:  # domain
        meta["domain"] = rng.choice(["[[0,1]]", "[[1,0],[0,1]]", "[[0,1e39],[0,1]]", "[[-1e308,1e308],[0,1]]",
                                     "[[0,NaN],[0,1]]", "{}", "[[0,1],[0,1e-30]]", "nope"])
    elif kind == 10:  # classes
        meta["classes"] = rng.choice(["[]", "[\"a\"]", json.dumps(["c"] * 300), json.dumps(["x" * 20000] * 4), "{"])
    text = json.dumps(header, separators=(",", ":"))
    if kind == 11:  # duplicate keys
        key = rng.choice(names + ["activations"])
        if key == "activations" and "activations" in meta:
            dup = '"activations":"relu,relu",'
            text = text.replace('"__metadata__":{', '"__metadata__":{' + dup, 1)
        else:
            text = text.replace(json.dumps(key) + ":", json.dumps(key) + ":" + json.dumps(header[key]) + "," + json.dumps(key) + ":", 1)
    return with_header(text, rest)


class Table:
    COLUMNS = ["cases", "accepted", "clean refusals", "panics", "hangs", "unclear messages",
               "clobbered files", "leftover temporaries"]

    def __init__(self):
        self.counts = {c: 0 for c in self.COLUMNS}
        self.examples = {c: [] for c in self.COLUMNS}

    def add(self, column, example=None):
        self.counts[column] += 1
        if example and len(self.examples[column]) < 5:
            self.examples[column].append(example)

    def bad(self):
        return sum(self.counts[c] for c in self.COLUMNS[3:])


def run(table, cmd, names, outputs, workdir, timeout):
    """Runs `cmd`; `names` are strings a clean refusal may name; `outputs` are paths that
    hold USER_BYTES beforehand."""
    for p in outputs:
        with open(p, "wb") as f:
            f.write(USER_BYTES)
    table.add("cases")
    label = " ".join(c if len(c) < 60 else c[:57] + "..." for c in cmd[1:])
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=workdir)
    except subprocess.TimeoutExpired:
        table.add("hangs", label)
        return
    stderr = p.stderr.decode(errors="replace")
    lines = [l for l in stderr.splitlines() if l.strip()]
    leftovers = [f for f in os.listdir(workdir) if f.startswith(".faultline-")]
    if leftovers:
        table.add("leftover temporaries", f"{label}: {leftovers}")
        for f in leftovers:
            os.remove(os.path.join(workdir, f))
    if p.returncode == 101 or p.returncode < 0 or "panicked" in stderr:
        table.add("panics", f"{label}: rc {p.returncode}: {stderr[-300:]}")
        return
    if p.returncode == 0:
        if any(l.startswith("error") for l in lines):
            table.add("unclear messages", f"{label}: succeeded with {lines}")
        else:
            table.add("accepted")
        return
    for o in outputs:
        with open(o, "rb") as f:
            if f.read() != USER_BYTES:
                table.add("clobbered files", f"{label}: {o}")
    clean = (len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) <= 400
             and any(n in lines[0] for n in names))
    if clean:
        table.add("clean refusals")
    else:
        table.add("unclear messages", f"{label}: {lines[:3]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mutants", type=int, default=1500)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "debug", "faultline"))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="faultline-fuzz-")
    started = time.time()
    table = Table()
    try:
        f16 = os.path.join(work, "f16.safetensors")
        float16_model(f16)
        seeds = [os.path.join(ROOT, "tests", "fixtures", n) for n in ("seed_233.safetensors", "pytorch_2543.safetensors")] + [f16]
        bases = [open(p, "rb").read() for p in seeds]
        field, png = os.path.join(work, "field.npy"), os.path.join(work, "map.png")
        model = os.path.join(work, "model.safetensors")
        for i in range(a.mutants):
            if time.time() - started > a.seconds:
                print(f"stopped after {i} mutants: --seconds {a.seconds} reached")
                break
            with open(model, "wb") as f:
                f.write(mutate(bases[i % len(bases)], rng))
            names = ["model.safetensors"]
            run(table, [a.bin, "inspect", model], names, [], work, a.timeout)
            run(table, [a.bin, "eval", model, "--size", "16", "--backend", "cpu", "--field", field],
                names + ["--field", "--domain"], [field], work, a.timeout)
            run(table, [a.bin, "map", model, "--size", "16", "--backend", "cpu", "-o", png],
                names + ["-o", "--domain"], [png], work, a.timeout)
        cli_cases(table, a, rng, bases[0], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'':2}" + " | ".join(Table.COLUMNS))
    print(f"{'':2}" + " | ".join(f"{table.counts[c]:>{len(c)}}" for c in Table.COLUMNS))
    for c in Table.COLUMNS[3:]:
        for e in table.examples[c]:
            print(f"{c}: {e}")
    print(f"{time.time() - started:.0f} s")
    sys.exit(1 if table.bad() else 0)


def cli_cases(table, a, rng, valid, work):
    """Bad and odd flag values on a valid model."""
    model = os.path.join(work, "valid.safetensors")
    with open(model, "wb") as f:
        f.write(valid)
    out = os.path.join(work, "out.npy")
    png = os.path.join(work, "out.png")
    sizes = ["0", "-1", "x", "16x", "1x1", "3", "16x9", "99999999999999999999", "1e3", " 8", "8x8x8", "200000"]
    domains = ["0,1,0,1", "1,0,0,1", "0,1", "a,b,c,d", "0,1e39,0,1", "-1e308,1e308,0,1", "nan,1,0,1",
               "0,inf,0,1", "0,1e-30,0,1", "1,1.00000001,0,1", "0,255,0,255,", "x" * 20000]
    cases = []
    for s in sizes:
        cases.append((["eval", model, "--size", s, "--field", out], ["--size"], [out]))
        cases.append((["map", model, "--size", s, "-o", png], ["--size"], [png]))
    for d in domains:
        cases.append((["eval", model, "--size", "8", "--domain=" + d, "--classes", out], ["--domain"], [out]))
        cases.append((["map", model, "--size", "8", "--domain=" + d, "-o", png], ["--domain"], [png]))
    for bad_out in ["/proc/x.npy", "/nonexistent/x.npy", work, "", model]:
        cases.append((["eval", model, "--size", "8", "--field", bad_out], ["--field"], []))
    for o in ["x.jpg", "/proc/x.png", "x", work]:
        cases.append((["map", model, "--size", "8", "-o", o], ["-o"], []))
    for flag, vals in [("--hidden", ["0", "100000", "9000,9000", "a", ""]), ("--epochs", ["0", "-1", "x"]),
                       ("--lr", ["0", "nan", "-1"]), ("--dataset", ["s9", "csv:", "csv:/nonexistent.csv", "csv:" + work]),
                       ("--activation", ["softmax", "gelu", ""])]:
        for v in vals:
            args = ["train", "--dataset", "s1", "--epochs", "1", "-o", os.path.join(work, "t.safetensors")]
            args += [flag + "=" + v] if flag != "--dataset" else []
            if flag == "--dataset":
                args[2] = v
            cases.append((args, [flag, "--dataset"], []))
    for backend in ["gpu2", "", "cpu,gpu"]:
        cases.append((["eval", model, "--size", "8", "--backend", backend], ["--backend", "backend"], []))
    for k in ["-1", "99", "x"]:
        cases.append((["render", model, "--mode", "class:" + k, "-o", png], ["--mode"], [png]))
    rng.shuffle(cases)
    for args, names, outputs in cases:
        run(table, [a.bin] + args, names + ["valid.safetensors", "invalid value", "unexpected argument"],
            outputs, work, a.timeout)


if __name__ == "__main__":
    main()
