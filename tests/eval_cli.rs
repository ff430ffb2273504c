//! `faultline eval` on the CPU backend: the arrays on disk match the README's formats and the
//! reference, and bad grid flags fail cleanly without leaving files.

mod common;

use std::path::Path;

use common::{diagonal_model, fails, ok, s};
use ndarray_npy::ReadNpyExt;

#[test]
fn arrays_on_disk_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let model = diagonal_model(dir.path(), 4.0);
    let [field, classes, pairs, decision] =
        ["field", "classes", "pairs", "decision"].map(|n| dir.path().join(format!("{n}.npy")));
    ok(&[
        "eval",
        s(&model),
        "--size",
        "5",
        "--field",
        s(&field),
        "--classes",
        s(&classes),
        "--pairs",
        s(&pairs),
        "--decision",
        s(&decision),
    ]);
    let open = |p: &Path| std::fs::File::open(p).unwrap();
    let field = ndarray::Array3::<f32>::read_npy(open(&field)).unwrap();
    assert_eq!(field.shape(), [5, 5, 2]);
    // Row r is y = r, column c is x = c (meshgrid order, row 0 = y0).
    assert_eq!(field[[1, 3, 0]], 3.0);
    assert_eq!(field[[1, 3, 1]], 1.0);
    let classes = ndarray::Array2::<u8>::read_npy(open(&classes)).unwrap();
    assert_eq!(classes[[1, 3]], 0);
    assert_eq!(classes[[3, 1]], 1);
    assert_eq!(classes[[2, 2]], 0, "ties go to the lowest index");
    let pairs = ndarray::Array2::<u8>::read_npy(open(&pairs)).unwrap();
    let decision = ndarray::Array2::<u8>::read_npy(open(&decision)).unwrap();
    // sign(x - y > 0): row 0 flips between x = 0 and x = 1; ties (x = y) count as "not > 0"
    // for pairs but as class 0 for the argmax, so the two arrays differ on the diagonal.
    assert_eq!(pairs.row(0).to_vec(), [1, 1, 0, 0, 0]);
    assert_eq!(pairs.row(2).to_vec(), [0, 0, 1, 1, 0]);
    assert_eq!(decision.row(0).to_vec(), [1, 0, 0, 0, 0]);
    assert_eq!(decision.row(4).to_vec(), [0, 0, 0, 1, 0]);
    assert_eq!(pairs[[4, 4]], 0);
}

#[test]
fn bad_grid_flags() {
    let dir = tempfile::tempdir().unwrap();
    let model = diagonal_model(dir.path(), 4.0);
    let m = s(&model);
    let out = dir.path().join("out.npy");
    let o = s(&out);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--size", "0"], "at least 1"),
        (vec!["--size", "-5"], "negative"),
        (vec!["--size", "abc"], "not a whole number"),
        (vec!["--size", "200000"], "would need about"),
        (vec!["--size", "4", "--domain", "1,1,0,1"], "must increase"),
        (vec!["--size", "4", "--domain", "0,1,nan,1"], "finite"),
        (vec!["--size", "4", "--domain", "0,1,1,0"], "must increase"),
        (vec!["--size", "4", "--backend", "tpu"], "tpu"),
    ];
    for (args, phrase) in cases {
        let mut full = vec!["eval", m];
        full.extend(&args);
        full.extend(["--field", o]);
        let line = fails(&full);
        assert!(line.contains(phrase), "{args:?}: '{line}' lacks '{phrase}'");
        assert!(!out.exists(), "{args:?} left a file");
    }
    let line = fails(&["eval", m, "--size", "4", "--field", "/no/such/dir/f.npy"]);
    assert!(line.contains("does not exist"), "{line}");
}

#[test]
fn too_many_pairs_is_refused_before_any_work() {
    use faultline_model::{Activation, Domain, Layer, Mlp, ModelMetadata};
    let dir = tempfile::tempdir().unwrap();
    let c = 12;
    let layer = Layer {
        inputs: 2,
        outputs: c,
        weight: (0..2 * c).map(|v| v as f32).collect(),
        bias: vec![0.0; c],
        activation: Activation::Identity,
    };
    let metadata = ModelMetadata {
        domain: Some(Domain::new([0.0, 1.0], [0.0, 1.0]).unwrap()),
        ..Default::default()
    };
    let model = dir.path().join("wide.safetensors");
    faultline_model::io::save(&Mlp::new(vec![layer], metadata).unwrap(), &model).unwrap();
    let pairs = dir.path().join("p.npy");
    let field = dir.path().join("f.npy");
    let line = fails(&[
        "eval",
        s(&model),
        "--size",
        "8",
        "--field",
        s(&field),
        "--pairs",
        s(&pairs),
    ]);
    assert!(line.contains("66 pairs"), "{line}");
    assert!(!pairs.exists() && !field.exists());
}

/// `eval --field` alone reports class shares from the field (no boundary pass runs for
/// it), on the CPU engine: real percentages that add up to 100, not NaN.
#[test]
fn field_alone_reports_class_shares() {
    let dir = tempfile::tempdir().unwrap();
    let field = dir.path().join("f.npy");
    let out = common::ok(&[
        "eval",
        "tests/fixtures/pytorch_2543.safetensors",
        "--size",
        "64",
        "--backend",
        "cpu",
        "--field",
        common::s(&field),
    ]);
    assert!(!out.contains("NaN"), "{out}");
    let first = out.lines().next().unwrap_or_default();
    let shares: f64 = first
        .split(", ")
        .filter_map(|part| part.trim().strip_suffix('%'))
        .filter_map(|part| part.split_whitespace().last()?.parse::<f64>().ok())
        .sum();
    assert!(
        (shares - 100.0).abs() < 0.5,
        "shares add to {shares}: {out}"
    );
}

/// A one-output sigmoid model is a binary classifier: `eval --classes` gives class 1
/// where the output is above 0.5, `map` draws both classes and the boundary between
/// them, and `classes` metadata may name the two classes.
#[test]
fn one_output_models_are_binary_classifiers() {
    use faultline_model::{Activation, Domain, Layer, Mlp, ModelMetadata};
    use ndarray_npy::ReadNpyExt;
    let dir = tempfile::tempdir().unwrap();
    // z = sigmoid(x - y): class 1 below the diagonal (x > y).
    let layer = Layer {
        inputs: 2,
        outputs: 1,
        weight: vec![1.0, -1.0],
        bias: vec![0.0],
        activation: Activation::Sigmoid,
    };
    let metadata = ModelMetadata {
        domain: Some(Domain::new([0.0, 4.0], [0.0, 4.0]).unwrap()),
        classes: Some(vec!["negative".into(), "positive".into()]),
        ..Default::default()
    };
    let model = dir.path().join("binary.safetensors");
    faultline_model::io::save(&Mlp::new(vec![layer], metadata).unwrap(), &model).unwrap();
    let classes = dir.path().join("c.npy");
    let decision = dir.path().join("d.npy");
    let out = ok(&[
        "eval",
        s(&model),
        "--size",
        "5",
        "--backend",
        "cpu",
        "--classes",
        s(&classes),
        "--decision",
        s(&decision),
    ]);
    assert!(
        out.contains("negative 60.0 %") && out.contains("positive 40.0 %"),
        "{out}"
    );
    let open = |p: &Path| std::fs::File::open(p).unwrap();
    let classes = ndarray::Array2::<u8>::read_npy(open(&classes)).unwrap();
    for r in 0..5 {
        for c in 0..5 {
            assert_eq!(classes[[r, c]], u8::from(c > r), "class at ({r},{c})");
        }
    }
    let decision = ndarray::Array2::<u8>::read_npy(open(&decision)).unwrap();
    // Row 0: classes 0 1 1 1 1 below row 1: 0 0 1 1 1.
    assert_eq!(decision.row(0).to_vec(), [1, 1, 0, 0, 0]);
    let map = dir.path().join("m.png");
    let out = ok(&[
        "map",
        s(&model),
        "--size",
        "64",
        "--backend",
        "cpu",
        "-o",
        s(&map),
    ]);
    assert!(
        out.contains("negative #") && out.contains("positive #"),
        "{out}"
    );
    assert!(!out.contains("no boundaries"), "{out}");
    let image = image::open(&map).unwrap().to_rgb8();
    let colours: std::collections::HashSet<_> = image.pixels().map(|p| p.0).collect();
    assert!(
        colours.len() >= 3,
        "two classes and a boundary: {colours:?}"
    );
    let out = ok(&["inspect", s(&model)]);
    assert!(out.contains("negative, positive"), "{out}");
}
