//! The landscape's offscreen renders compared with committed reference images (with a
//! tolerance): the older small renders and the figures (S1 dark and light, S2, a 10-class
//! net, a one-output net).
//!
//! On a mismatch the test writes `tests/reference/NAME-actual.png` and
//! `NAME-difference.png` beside the reference. `FAULTLINE_BLESS=1` rewrites the references.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_shows_a_landscape, gpu_available, ok, s};

/// Compares `actual` with `tests/reference/NAME.png`: the mean absolute difference per
/// channel must stay under 1.5 levels and at most 0.5 % of pixels may differ by more than
/// 48 levels in some channel.
fn compare_with_reference(name: &str, actual: &Path) {
    let reference = PathBuf::from(format!("tests/reference/{name}.png"));
    if std::env::var("FAULTLINE_BLESS").is_ok_and(|v| v == "1") {
        std::fs::copy(actual, &reference).unwrap();
        return;
    }
    let a = image::open(actual).unwrap().to_rgba8();
    let r = image::open(&reference)
        .unwrap_or_else(|e| panic!("{}: {e} (FAULTLINE_BLESS=1 writes it)", reference.display()))
        .to_rgba8();
    assert_eq!(a.dimensions(), r.dimensions(), "{name}: size");
    let mut total = 0u64;
    let mut bad = 0usize;
    let mut diff = image::RgbaImage::new(a.width(), a.height());
    for ((pa, pr), pd) in a.pixels().zip(r.pixels()).zip(diff.pixels_mut()) {
        let d: Vec<u8> = (0..3).map(|c| pa[c].abs_diff(pr[c])).collect();
        total += d.iter().map(|&v| u64::from(v)).sum::<u64>();
        bad += usize::from(d.iter().any(|&v| v > 48));
        *pd = image::Rgba([
            d[0].saturating_mul(4),
            d[1].saturating_mul(4),
            d[2].saturating_mul(4),
            255,
        ]);
    }
    let pixels = (a.width() * a.height()) as usize;
    let mean = total as f64 / (pixels * 3) as f64;
    let bad_share = bad as f64 / pixels as f64;
    if mean > 1.5 || bad_share > 0.005 {
        let stem = format!("tests/reference/{name}");
        std::fs::copy(actual, format!("{stem}-actual.png")).unwrap();
        diff.save(format!("{stem}-difference.png")).unwrap();
        panic!(
            "{name}: mean difference {mean:.2} levels, {:.2} % pixels off; see {stem}-actual.png and {stem}-difference.png",
            bad_share * 100.0
        );
    }
}

#[test]
fn offscreen_renders_match_the_references() {
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // S2, trained here with the seed the demo uses (training is deterministic).
    let s2 = dir.path().join("s2.safetensors");
    ok(&[
        "train",
        "--dataset",
        "s2",
        "--seed",
        "7",
        "--quiet",
        "-o",
        s(&s2),
    ]);
    let figure: &[&str] = &["--width", "400", "--height", "225", "--resolution", "128"];
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "pytorch-2543-all",
            "tests/fixtures/pytorch_2543.safetensors",
            vec![],
        ),
        (
            "pytorch-2543-envelope",
            "tests/fixtures/pytorch_2543.safetensors",
            vec!["--mode", "envelope", "--camera", "20,-40,3"],
        ),
        (
            "s1-like-class1",
            "tests/fixtures/seed_233.safetensors",
            vec!["--mode", "class:1"],
        ),
        // The figures: S1 dark and light, S2, a 10-class net (digits on its PCA plane),
        // a one-output net, framed by default.
        (
            "figure-s1-dark",
            "tests/fixtures/seed_233.safetensors",
            figure.to_vec(),
        ),
        (
            "figure-s1-light",
            "tests/fixtures/seed_233.safetensors",
            [figure, &["--theme", "light", "--contours", "5"]].concat(),
        ),
        ("figure-s2-dark", s(&s2), figure.to_vec()),
        (
            "figure-digits-light",
            "tests/fixtures/digits_64.safetensors",
            [
                figure,
                &["--pca", "tests/fixtures/digits.csv", "--theme", "light"],
            ]
            .concat(),
        ),
        (
            "figure-binary-dark",
            "tests/fixtures/sklearn_binary.safetensors",
            figure.to_vec(),
        ),
    ];
    for (name, model, extra) in cases {
        let out = dir.path().join(format!("{name}.png"));
        let mut args = vec!["render", model, "-o", s(&out)];
        // The figures give their own, larger size.
        if !extra.contains(&"--width") {
            args.extend(["--width", "240", "--height", "150", "--resolution", "48"]);
        }
        args.extend(extra);
        ok(&args);
        assert_shows_a_landscape(&out, 200);
        compare_with_reference(name, &out);
    }
}
