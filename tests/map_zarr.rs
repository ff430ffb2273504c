//! `map --zarr`: sharded Zarr v3 arrays in an OME-Zarr image, parts run as concurrent
//! processes giving the single run's bytes, the pyramid's sizes, Python's `zarr` reading
//! the store (where it is importable), and bad input.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{fails, ok, s};

const MODEL: &str = "tests/fixtures/seed_233.safetensors";

/// Small shards so a small map has several rows and columns of them.
const LAYOUT: [(&str, &str); 2] = [
    ("FAULTLINE_ZARR_SHARD", "64"),
    ("FAULTLINE_ZARR_CHUNK", "16"),
];

fn zarr_run(args: &[&str]) -> String {
    let out = common::faultline_env(args, &LAYOUT);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every file under `root` (relative path -> bytes).
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn four_concurrent_parts_write_the_single_run_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let size = "301x250"; // 4 shard rows of 64 (the last 58 high), 5 columns (the last 45)
    let single = dir.path().join("single.zarr");
    let out = zarr_run(&["map", MODEL, "--size", size, "--zarr", s(&single)]);
    assert!(out.contains("all 4 shard rows"), "{out}");
    assert!(
        out.contains("pyramid: 6 levels (301x250, 151x125, 76x63, 38x32, 19x16, 10x8)"),
        "{out}"
    );

    let parted = dir.path().join("parted.zarr");
    let children: Vec<_> = (1..=4)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_faultline"))
                .args(["map", MODEL, "--size", size, "--zarr", s(&parted)])
                .args(["--part", &format!("{i}/4"), "--quiet"])
                .stdout(std::process::Stdio::null())
                .envs(LAYOUT)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let line = common::faultline_env(
        &[
            "map",
            MODEL,
            "--size",
            "300x250",
            "--zarr",
            s(&parted),
            "--part",
            "1/4",
        ],
        &LAYOUT,
    );
    let stderr = String::from_utf8_lossy(&line.stderr);
    assert!(
        !line.status.success() && stderr.contains("made for another model, size or layout"),
        "another size into the same store: {stderr}"
    );
    zarr_run(&[
        "map",
        MODEL,
        "--size",
        size,
        "--zarr",
        s(&parted),
        "--pyramid",
    ]);
    let (a, b) = (files(&single), files(&parted));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs");
    }
    // 4 x 5 shards per array; only a shard of zeros (class 0 throughout, no line) is left
    // out, as Zarr allows.
    let shards = a.keys().filter(|k| k.starts_with("flags/c/")).count();
    assert!((12..=20).contains(&shards), "{shards} flag shards");

    // The classes are eval's, the flags' class bits are the classes.
    let classes = dir.path().join("classes.npy");
    ok(&[
        "eval",
        MODEL,
        "--size",
        size,
        "--classes",
        s(&classes),
        "--backend",
        "cpu",
    ]);
    let python = Command::new("python3")
        .args(["-c", "import zarr, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if python {
        let script = format!(
            r#"
import zarr, numpy as np
g = zarr.open_group("{store}", mode="r")
c = np.load("{classes}")
a, f = g["0"][:], g["flags"][:]
assert a.shape == (250, 301) and a.dtype == np.uint8 and f.dtype == np.uint32, (a.shape, a.dtype, f.dtype)
assert (a == c).all(), int((a != c).sum())
assert ((f & 0xffff) == a).all()
ms = g.attrs["ome"]["multiscales"][0]
assert [d["path"] for d in ms["datasets"]] == [str(k) for k in range(6)]
assert g["1"].shape == (125, 151) and g["5"].shape == (8, 10)
# Level 1: the mode of each 2x2 block (the first seen among equals).
l1 = g["1"][:]
for r in range(125):
    for q in range(150):
        four = [a[2*r, 2*q], a[2*r, 2*q+1], a[2*r+1, 2*q], a[2*r+1, 2*q+1]]
        counts = [four.count(v) for v in four]
        assert l1[r, q] == four[counts.index(max(counts))], (r, q)
print("ok")
"#,
            store = single.display(),
            classes = classes.display()
        );
        let out = Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        assert!(
            !faultline_gpu::gpu_required(),
            "CI must install zarr (Python) to check the store"
        );
    }
}

#[test]
fn bad_zarr_input_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("m.zarr");
    for (part, what) in [("5/4", "from 1 to N"), ("0/0", "from 1 to N"), ("x", "I/N")] {
        let line = fails(&[
            "map",
            MODEL,
            "--size",
            "64",
            "--zarr",
            s(&store),
            "--part",
            part,
        ]);
        assert!(line.contains(what), "--part {part}: {line}");
    }
    assert!(!store.exists(), "a refused part writes nothing");
    let line = fails(&["map", MODEL, "--size", "64", "--part", "1/2", "-o", "x.png"]);
    assert!(line.contains("--zarr"), "{line}");
    let missing = dir.path().join("no/such/m.zarr");
    let line = fails(&["map", MODEL, "--size", "64", "--zarr", s(&missing)]);
    assert!(line.contains("does not exist"), "{line}");
    let line = fails(&["map", MODEL, "--size", "64", "--zarr", "/proc/m.zarr"]);
    assert!(line.contains("--zarr /proc/m.zarr"), "{line}");
    // The pyramid before every part ran.
    let out = common::faultline_env(
        &[
            "map",
            MODEL,
            "--size",
            "200",
            "--zarr",
            s(&store),
            "--part",
            "1/3",
        ],
        &LAYOUT,
    );
    assert!(out.status.success());
    let before = files(&store);
    let out = common::faultline_env(
        &[
            "map",
            MODEL,
            "--size",
            "200",
            "--zarr",
            s(&store),
            "--pyramid",
        ],
        &LAYOUT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("not written yet"),
        "{stderr}"
    );
    // Another model into the store: refused before anything is written.
    let out = common::faultline_env(
        &[
            "map",
            "tests/fixtures/pytorch_2543.safetensors",
            "--size",
            "200",
            "--zarr",
            s(&store),
            "--part",
            "2/3",
        ],
        &LAYOUT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("made for another model"),
        "{stderr}"
    );
    assert_eq!(
        files(&store),
        before,
        "what the first part wrote is untouched"
    );
}
