//! A model file written by Python (safetensors.numpy, PyTorch layout; see
//! tests/fixtures/make_pytorch_fixture.py) loads, and `faultline eval --backend cpu`
//! reproduces numpy's float64 forward pass.

mod common;

use std::path::Path;

use common::{ok, read_f64, s};

const MODEL: &str = "tests/fixtures/pytorch_2543.safetensors";
const EXPECTED: &str = "tests/fixtures/pytorch_2543_field_7x5.npy";

fn assert_close(actual: &[f64], expected: &[f64], rel: f64, abs: f64) {
    assert_eq!(actual.len(), expected.len());
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= abs + rel * e.abs(),
            "value {i}: {a} vs numpy {e}"
        );
    }
}

#[test]
fn library_matches_numpy() {
    let model = faultline_model::io::load(Path::new(MODEL)).unwrap();
    assert_eq!(model.architecture(), "2-5-4-3");
    assert_eq!(model.class_names(), ["a", "b", "c"]);
    let domain = model.metadata.domain.unwrap();
    let grid = faultline_model::GridSpec::new(domain, 7, 5).unwrap();
    let field = faultline_model::arrays::Field::reference(&model, &grid).unwrap();
    let (shape, expected) = read_f64(Path::new(EXPECTED));
    assert_eq!(shape, [5, 7, 3]);
    let actual: Vec<f64> = field.values.iter().map(|&v| f64::from(v)).collect();
    // f64 evaluation rounded to f32: within f32 rounding of numpy's float64.
    assert_close(&actual, &expected, 1e-6, 1e-7);
}

#[test]
fn cli_eval_writes_what_numpy_computes() {
    let dir = tempfile::tempdir().unwrap();
    let field = dir.path().join("field.npy");
    let classes = dir.path().join("classes.npy");
    let out = ok(&[
        "eval",
        MODEL,
        "--size",
        "7x5",
        "--backend",
        "cpu",
        "--field",
        s(&field),
        "--classes",
        s(&classes),
    ]);
    assert!(out.contains("7x5"), "{out}");
    let (shape, actual) = read_f64(&field);
    assert_eq!(shape, [5, 7, 3]);
    let (_, expected) = read_f64(Path::new(EXPECTED));
    assert_close(&actual, &expected, 1e-6, 1e-7);

    use ndarray_npy::ReadNpyExt;
    let classes = ndarray::Array2::<u8>::read_npy(std::fs::File::open(&classes).unwrap()).unwrap();
    for r in 0..5 {
        for c in 0..7 {
            let z = &expected[(r * 7 + c) * 3..(r * 7 + c) * 3 + 3];
            let best = (0..3).fold(0, |b, k| if z[k] > z[b] { k } else { b });
            assert_eq!(classes[[r, c]] as usize, best, "class at ({r}, {c})");
        }
    }
}
