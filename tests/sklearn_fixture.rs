//! A binary scikit-learn `MLPClassifier` saved from its `coefs_` (the README's recipe,
//! tests/fixtures/make_sklearn_fixture.py): `eval --classes` on a 512^2 grid agrees with
//! `clf.predict` except at near-ties, on both backends, and `map` draws its boundary.

mod common;

use common::{gpu_available, ok, s};
use ndarray_npy::ReadNpyExt;

const MODEL: &str = "tests/fixtures/sklearn_binary.safetensors";
const PREDICT: &str = "tests/fixtures/sklearn_binary_predict_512.npy";

#[test]
fn eval_agrees_with_predict_and_map_draws_the_boundary() {
    let packed = ndarray::Array1::<u8>::read_npy(std::fs::File::open(PREDICT).unwrap()).unwrap();
    let predicted: Vec<u8> = packed
        .iter()
        .flat_map(|&byte| (0..8).rev().map(move |bit| (byte >> bit) & 1))
        .collect();
    let mlp = faultline_model::io::load(std::path::Path::new(MODEL)).unwrap();
    assert_eq!(mlp.outputs(), 1);
    let grid = faultline_model::GridSpec::new(mlp.metadata.domain.unwrap(), 512, 512).unwrap();
    let reference = faultline_model::Field::reference(&mlp, &grid).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backends: Vec<&str> = if gpu_available() {
        vec!["cpu", "gpu"]
    } else {
        vec!["cpu"]
    };
    for backend in backends {
        let classes = dir.path().join(format!("{backend}.npy"));
        let out = ok(&[
            "eval",
            MODEL,
            "--size",
            "512",
            "--backend",
            backend,
            "--classes",
            s(&classes),
        ]);
        assert!(out.contains("moon") && out.contains("sea"), "{out}");
        let got = ndarray::Array2::<u8>::read_npy(std::fs::File::open(&classes).unwrap()).unwrap();
        let mut excused = 0;
        for (cell, (&g, &p)) in got.iter().zip(&predicted).enumerate() {
            if g != p {
                let z = reference.values[cell];
                assert!(
                    (z - 0.5).abs() < 1e-5,
                    "{backend}: cell {cell} differs at p = {z}"
                );
                excused += 1;
            }
        }
        assert!(excused < 20, "{backend}: {excused} near-ties");
        eprintln!("{backend}: 512^2 classes equal predict but {excused} near-ties");
    }
    let map = dir.path().join("m.png");
    let out = ok(&[
        "map",
        MODEL,
        "--size",
        "256",
        "--backend",
        "cpu",
        "-o",
        s(&map),
    ]);
    assert!(out.contains("moon #") && out.contains("sea #"), "{out}");
    let image = image::open(&map).unwrap().to_rgb8();
    let mut colours: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() >= 3,
        "two classes and the boundary: {colours:?}"
    );
}
