//! `map` writes band by band (evaluate, compose, encode), so memory does not grow with the
//! image: maps written in bands of a few rows equal the one-band map, junction markers and
//! sample dots across the seams included.

mod common;

use std::path::Path;

use common::{faultline_env, s};
use faultline_model::{Activation, Domain, Layer, Mlp, ModelMetadata};

fn map(
    model: &Path,
    size: &str,
    out: &Path,
    band_rows: Option<&str>,
    extra: &[&str],
) -> image::RgbImage {
    let mut args = vec!["map", s(model), "--size", size, "-o", s(out)];
    args.extend_from_slice(extra);
    let env: Vec<(&str, &str)> = band_rows
        .map(|b| ("FAULTLINE_MAP_BAND_ROWS", b))
        .into_iter()
        .collect();
    let run = faultline_env(&args, &env);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    image::open(out).unwrap().to_rgb8()
}

fn differing(a: &image::RgbImage, b: &image::RgbImage) -> usize {
    assert_eq!(a.dimensions(), b.dimensions());
    a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count()
}

#[test]
fn banded_maps_equal_the_one_band_map() {
    let dir = tempfile::tempdir().unwrap();
    // Three classes meeting at the origin: a junction marker spanning band seams.
    let fan = dir.path().join("fan.safetensors");
    let layer = Layer {
        inputs: 2,
        outputs: 3,
        weight: vec![1.0, 0.0, -0.5, 0.866, -0.5, -0.866],
        bias: vec![0.0; 3],
        activation: Activation::Identity,
    };
    let metadata = ModelMetadata {
        domain: Some(Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap()),
        ..Default::default()
    };
    faultline_model::io::save(&Mlp::new(vec![layer], metadata).unwrap(), &fan).unwrap();
    let whole = map(&fan, "400x332", &dir.path().join("whole.png"), None, &[]);
    for rows in ["2", "5", "64"] {
        let banded = map(
            &fan,
            "400x332",
            &dir.path().join(format!("b{rows}.png")),
            Some(rows),
            &[],
        );
        let n = differing(&whole, &banded);
        assert!(n <= 4, "bands of {rows} rows: {n} pixels differ");
    }
    // The marker is drawn whole (a white disc at the centre).
    assert_eq!(whole.get_pixel(200, 165).0, [255, 255, 255]);
    // The seed net with samples drawn across the seams.
    let seed = Path::new("tests/fixtures/seed_233.safetensors");
    let data = dir.path().join("px.csv");
    std::fs::write(
        &data,
        "x1,x2,label\n10,10,white\n128,126,grey\n250,250,black\n200,30,white\n",
    )
    .unwrap();
    let extra = ["--data", s(&data), "--crossings"];
    let whole = map(seed, "256", &dir.path().join("s.png"), None, &extra);
    let banded = map(seed, "256", &dir.path().join("s3.png"), Some("3"), &extra);
    let n = differing(&whole, &banded);
    assert!(n <= 4, "{n} pixels differ");
}
