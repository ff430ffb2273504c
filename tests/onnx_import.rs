//! ONNX files as exporters write them (tests/fixtures/make_onnx_fixtures.py, and
//! make_torch_onnx_fixtures.py for torch.onnx.export's two exporters run for real): skl2onnx's
//! MLPClassifier (multiclass, binary with ZipMap, a Pipeline with its StandardScaler), and
//! the layouts of torch.onnx.export (TorchScript: Gemm; dynamo: model-local functions with
//! Transpose + MatMul + Add and a leaky relu slope by attribute reference) and tf2onnx
//! (MatMul + Add), against
//! onnxruntime's scores (stored, and recomputed at 256^2 when onnxruntime is importable)
//! and scikit-learn's predict; bad files refused in one line.

mod common;

use std::path::Path;
use std::process::Command;

use common::{fails, gpu_available, ok, read_f64, s};
use ndarray_npy::ReadNpyExt;

/// (fixture, domain flag, scores column of a one-output model in onnxruntime's output)
const MODELS: [(&str, &str, Option<usize>); 8] = [
    ("skl_multi", "--domain=-6,8,-4,10", None),
    ("skl_binary", "--domain=-1.5,2.5,-1,1.5", Some(1)),
    ("skl_pipeline", "--domain=25,225,50,175", Some(1)),
    ("torch_gemm", "--domain=-3,3,-2,2", None),
    ("keras_dense", "--domain=-3,3,-2,2", None),
    ("torch_dynamo", "--domain=-3,3,-2,2", None),
    // Exported by torch 2.15 itself (tests/fixtures/make_torch_onnx_fixtures.py).
    ("torch_ts", "--domain=-3,3,-2,2", None),
    ("torch_export", "--domain=-3,3,-2,2", None),
];

fn fixture(name: &str) -> String {
    format!("tests/fixtures/{name}.onnx")
}

/// Our field `[H, W, C]` against onnxruntime's `[H, W, K]` (column `column` when C = 1).
fn assert_field_matches(ours: &Path, theirs: &Path, column: Option<usize>, what: &str) {
    let (shape, got) = read_f64(ours);
    let (their_shape, expected) = read_f64(theirs);
    let (c, k) = (shape[2], their_shape[2]);
    assert_eq!(shape[..2], their_shape[..2], "{what}");
    for cell in 0..shape[0] * shape[1] {
        for j in 0..c {
            let a = got[cell * c + j];
            let b = expected[cell * k + column.unwrap_or(j)];
            assert!(
                (a - b).abs() <= 1e-5 + 1e-4 * b.abs(),
                "{what}: cell {cell} output {j}: {a} vs onnxruntime {b}"
            );
        }
    }
}

#[test]
fn every_fixture_matches_onnxruntime_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let backends: Vec<&str> = if gpu_available() {
        vec!["cpu", "gpu"]
    } else {
        vec!["cpu"]
    };
    for (name, domain, column) in MODELS {
        for backend in &backends {
            let field = dir.path().join(format!("{name}-{backend}.npy"));
            ok(&[
                "eval",
                &fixture(name),
                "--size",
                "64x48",
                domain,
                "--backend",
                backend,
                "--field",
                s(&field),
            ]);
            let stored = format!("tests/fixtures/{name}_ort_64x48.npy");
            assert_field_matches(
                &field,
                Path::new(&stored),
                column,
                &format!("{name} on {backend}"),
            );
        }
    }
}

/// When onnxruntime is importable (CI installs it), its scores on a 256^2 grid now.
#[test]
fn onnxruntime_now_at_256_squared() {
    let probe = Command::new("python3")
        .args(["-c", "import onnxruntime, onnx, sklearn, skl2onnx"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping: onnxruntime, onnx, scikit-learn or skl2onnx is not importable");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, domain, column) in MODELS {
        let theirs = dir.path().join(format!("{name}-ort.npy"));
        let d: Vec<f64> = domain[9..].split(',').map(|v| v.parse().unwrap()).collect();
        let script = format!(
            "import sys; sys.path.insert(0, 'tests/fixtures'); import numpy as np; \
             from make_onnx_fixtures import scores; from make_pytorch_fixture import grid; \
             np.save('{}', scores('{name}', grid([[{}, {}], [{}, {}]], 256, 256).reshape(-1, 2)).reshape(256, 256, -1))",
            theirs.display(),
            d[0],
            d[1],
            d[2],
            d[3]
        );
        let run = Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let ours = dir.path().join(format!("{name}.npy"));
        ok(&[
            "eval",
            &fixture(name),
            "--size",
            "256",
            domain,
            "--backend",
            "cpu",
            "--field",
            s(&ours),
        ]);
        assert_field_matches(&ours, &theirs, column, &format!("{name} at 256^2"));
    }
}

/// Binary classifiers, alone and behind a StandardScaler: classes equal predict on a
/// 512^2 grid of raw inputs except at near-ties.
#[test]
fn binary_classes_agree_with_predict() {
    let dir = tempfile::tempdir().unwrap();
    for (name, domain, _) in &MODELS[1..3] {
        let packed = ndarray::Array1::<u8>::read_npy(
            std::fs::File::open(format!("tests/fixtures/{name}_predict_512.npy")).unwrap(),
        )
        .unwrap();
        let predicted: Vec<u8> = packed
            .iter()
            .flat_map(|&b| (0..8).rev().map(move |i| (b >> i) & 1))
            .collect();
        let (classes, field) = (dir.path().join("c.npy"), dir.path().join("f.npy"));
        ok(&[
            "eval",
            &fixture(name),
            "--size",
            "512",
            domain,
            "--backend",
            "cpu",
            "--classes",
            s(&classes),
            "--field",
            s(&field),
        ]);
        let got = ndarray::Array2::<u8>::read_npy(std::fs::File::open(&classes).unwrap()).unwrap();
        let (_, p) = read_f64(&field);
        let mut excused = 0;
        for (cell, (&g, &e)) in got.iter().zip(&predicted).enumerate() {
            if g != e {
                assert!(
                    (p[cell] - 0.5).abs() < 1e-5,
                    "{name}: cell {cell} differs at p = {}",
                    p[cell]
                );
                excused += 1;
            }
        }
        assert!(excused < 20, "{name}: {excused} near-ties");
        let map = dir.path().join(format!("{name}.png"));
        ok(&[
            "map",
            &fixture(name),
            "--size",
            "128",
            domain,
            "--backend",
            "cpu",
            "-o",
            s(&map),
        ]);
    }
}

#[test]
fn inspect_says_what_each_file_is() {
    let out = ok(&["inspect", &fixture("skl_pipeline")]);
    for part in [
        "ONNX from skl2onnx",
        "includes its preprocessing (Scaler",
        "2 -> 8 relu",
        "8 -> 1 sigmoid",
        "X[0], X[1]",
        "classes     0, 1",
    ] {
        assert!(out.contains(part), "{part}: {out}");
    }
    let out = ok(&["inspect", &fixture("skl_binary")]);
    assert!(
        out.contains("no preprocessing in the file") && out.contains("binary [1 - p, p]"),
        "{out}"
    );
    let out = ok(&["inspect", &fixture("torch_gemm")]);
    assert!(
        out.contains("2-5-4-3") && out.contains("4 -> 3 softmax") && out.contains("input[0]"),
        "{out}"
    );
    let out = ok(&["inspect", &fixture("torch_ts")]);
    assert!(
        out.contains("ONNX from pytorch 2.15")
            && out.contains("16 -> 16 leaky_relu(0.2)")
            && out.contains("16 -> 3 softmax"),
        "{out}"
    );
    let out = ok(&["inspect", &fixture("torch_export")]);
    assert!(
        out.contains("8 -> 1 identity") && out.contains("x[0], x[1]"),
        "{out}"
    );
    let out = ok(&["inspect", &fixture("torch_dynamo")]);
    assert!(
        out.contains("ONNX from pytorch 2.3.1")
            && out.contains("2 -> 8 leaky_relu(0.2)")
            && out.contains("8 -> 4 identity")
            && out.contains("l_x_[1]"),
        "{out}"
    );
}

#[test]
fn bad_files_get_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("skl_multi")).unwrap();
    let truncated = dir.path().join("truncated.onnx");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let cases = [
        (s(&truncated).to_string(), "not a valid ONNX file"),
        (fixture("bad_conv"), "node 'conv0' (Conv)"),
        (fixture("bad_two_inputs"), "2 inputs"),
        (fixture("bad_huge_shape"), "[1000000, 1000000]"),
        (
            fixture("bad_cycle"),
            "no output of the graph is computed from its input",
        ),
        (
            fixture("bad_constant_scores"),
            "no output of the graph is computed from its input",
        ),
        // Found by the onnx_importer fuzz target: integer weights read as floats.
        (fixture("bad_fuzz_int_weights"), "hold no 4 float numbers"),
        (fixture("bad_recursive_function"), "levels deep"),
    ];
    for (file, phrase) in cases {
        let line = fails(&["inspect", &file]);
        assert!(
            line.contains(phrase) && line.contains(&file),
            "{file}: {line}"
        );
    }
}
