//! `faultline analyze` on planted networks whose answers are known: a dead relu neuron, a
//! dormant output, two sigmoid outputs that overlap on a known band, a class in two
//! pieces, straight boundaries of known length; every figure cross-checked with a float64
//! numpy computation (scripts/check_analysis.py) when numpy is importable; bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{fails, ok, s};
use faultline_model::{Activation, Domain, Layer, Mlp, ModelMetadata};

fn layer(inputs: usize, weight: Vec<f32>, bias: Vec<f32>, activation: Activation) -> Layer {
    Layer {
        inputs,
        outputs: bias.len(),
        weight,
        bias,
        activation,
    }
}

fn save(dir: &Path, name: &str, layers: Vec<Layer>) -> PathBuf {
    let metadata = ModelMetadata {
        domain: Some(Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap()),
        ..Default::default()
    };
    let path = dir.join(name);
    faultline_model::io::save(&Mlp::new(layers, metadata).unwrap(), &path).unwrap();
    path
}

fn analyze(model: &Path, size: &str) -> (serde_json::Value, String) {
    let text = ok(&["analyze", s(model), "--size", size, "--json"]);
    let json = serde_json::from_str(&text).unwrap();
    let dir = model.parent().unwrap();
    let report = dir.join(format!(
        "{}.json",
        model.file_stem().unwrap().to_string_lossy()
    ));
    std::fs::write(&report, &text).unwrap();
    numpy_check(model, &report);
    (json, ok(&["analyze", s(model), "--size", size]))
}

/// scripts/check_analysis.py, when numpy and safetensors are importable (CI installs them).
fn numpy_check(model: &Path, report: &Path) {
    common::python_check("scripts/check_analysis.py", &[s(model), s(report)]);
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn a_dead_neuron_and_a_dormant_output() {
    let dir = tempfile::tempdir().unwrap();
    // Hidden: relu(x), relu(y), a dead one (no weights, bias -1), relu(x - y + 0.3).
    // Outputs: h0 - h1, h1 - h0 + 0.1 h3, and one held down by a bias of -50.
    let model = save(
        dir.path(),
        "planted.safetensors",
        vec![
            layer(
                2,
                vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, -1.0],
                vec![0.0, 0.0, -1.0, 0.3],
                Activation::Relu,
            ),
            layer(
                4,
                vec![1.0, -1.0, 0.0, 0.0, -1.0, 1.0, 0.0, 0.1, 0.0, 0.0, 0.0, 0.0],
                vec![0.0, 0.0, -50.0],
                Activation::Identity,
            ),
        ],
    );
    let (a, table) = analyze(&model, "512");
    let neurons = a["layers"][0]["neurons"].as_array().unwrap();
    let dead: Vec<bool> = neurons
        .iter()
        .map(|n| n["dead"].as_bool().unwrap())
        .collect();
    assert_eq!(dead, [false, false, true, false]);
    // 512 samples from -1 to 1: exactly half have x > 0.
    assert_eq!(f(&neurons[0]["active"]), 0.5);
    assert_eq!(f(&neurons[2]["max"]), 0.0);
    let dormant: Vec<bool> = a["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["dormant"].as_bool().unwrap())
        .collect();
    assert_eq!(dormant, [false, false, true]);
    assert!(f(&a["classes"][2]["max_score"]) < -49.0);
    assert!(a["overlap"].is_null(), "identity outputs have no overlap");
    assert!(a["regions"]["activation_patterns"].as_u64().unwrap() >= 4);
    assert!(
        table.contains("DEAD: 2") && table.contains("DORMANT"),
        "{table}"
    );
}

#[test]
fn sigmoid_outputs_overlap_on_a_known_band() {
    let dir = tempfile::tempdir().unwrap();
    // z0 = sigmoid(10 (x + 0.5)), z1 = sigmoid(-10 (x - 0.5)): both above 0.5 exactly
    // where -0.5 < x < 0.5, and they cross on x = 0 (a line of length 2).
    let model = save(
        dir.path(),
        "overlap.safetensors",
        vec![layer(
            2,
            vec![10.0, 0.0, -10.0, 0.0],
            vec![5.0, 5.0],
            Activation::Sigmoid,
        )],
    );
    let (a, _) = analyze(&model, "512");
    let grid =
        faultline_model::GridSpec::new(Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap(), 512, 512)
            .unwrap();
    let inside = (0..512).filter(|&c| grid.x(c).abs() < 0.5).count() as f64 / 512.0;
    let o = &a["overlap"];
    assert_eq!(f(&o["ambiguous_area"]), inside);
    assert_eq!(f(&o["none_area"]), 0.0);
    assert_eq!(f(&o["pairs"][0]["both_area"]), inside);
    let b = &a["boundaries"][0];
    assert!((f(&b["length"]) - 2.0).abs() <= 0.02, "{b}");
    assert_eq!(f(&b["on_decision"]), 1.0);
}

#[test]
fn straight_lines_and_fragments() {
    let dir = tempfile::tempdir().unwrap();
    // z0 - z1 = x + 0.5 y - 0.1: a straight decision line of length 2 sqrt(1.25).
    let line = save(
        dir.path(),
        "line.safetensors",
        vec![layer(
            2,
            vec![1.0, 0.5, 0.0, 0.0],
            vec![-0.1, 0.0],
            Activation::Identity,
        )],
    );
    let (a, _) = analyze(&line, "512");
    let want = 2.0 * 1.25f64.sqrt();
    let got = f(&a["boundaries"][0]["length"]);
    assert!((got - want).abs() <= 0.01 * want, "{got} vs {want}");
    assert_eq!(a["regions"]["components"], serde_json::json!([1, 1]));
    assert_eq!(a["junctions"], serde_json::json!([]));
    // Class 1 where |x| > 0.5: two pieces, one on each side; class 0 between them.
    let stripes = save(
        dir.path(),
        "stripes.safetensors",
        vec![
            layer(
                2,
                vec![1.0, 0.0, -1.0, 0.0],
                vec![-0.5, -0.5],
                Activation::Relu,
            ),
            layer(
                2,
                vec![0.0, 0.0, 1.0, 1.0],
                vec![0.0, -0.001],
                Activation::Identity,
            ),
        ],
    );
    let (a, _) = analyze(&stripes, "256");
    assert_eq!(a["regions"]["components"], serde_json::json!([1, 2]));
    // Both crossings are vertical lines of length 2 (just off |x| = 0.5).
    let length = f(&a["boundaries"][0]["length"]);
    assert!((length - 4.0).abs() <= 0.04, "{length}");
    // Three classes meeting: the S1-like fan of a 2-3 identity net has one junction.
    let fan = save(
        dir.path(),
        "fan.safetensors",
        vec![layer(
            2,
            vec![1.0, 0.0, -0.5, 0.866, -0.5, -0.866],
            vec![0.0, 0.0, 0.0],
            Activation::Identity,
        )],
    );
    let (a, _) = analyze(&fan, "255");
    let j = a["junctions"].as_array().unwrap();
    assert_eq!(j.len(), 1, "{j:?}");
    assert!(
        f(&j[0]["x"]).abs() < 0.02 && f(&j[0]["y"]).abs() < 0.02,
        "{j:?}"
    );
    assert_eq!(j[0]["classes"], serde_json::json!([0, 1, 2]));
}

#[test]
fn bad_input_for_analyze() {
    let dir = tempfile::tempdir().unwrap();
    let line = save(
        dir.path(),
        "line.safetensors",
        vec![layer(
            2,
            vec![1.0, 0.5, 0.0, 0.0],
            vec![-0.1, 0.0],
            Activation::Identity,
        )],
    );
    let msg = fails(&["analyze", s(&line), "--size", "0"]);
    assert!(msg.contains("--size"), "{msg}");
    // A closed standard output: one line, no panic.
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["analyze", s(&line), "--size", "64", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && out.status.code() != Some(101),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("standard output") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn hidden_neurons_as_maps_surfaces_and_a_contact_sheet() {
    let dir = tempfile::tempdir().unwrap();
    // Hidden: relu(x) and a dead one; outputs from them.
    let model = save(
        dir.path(),
        "two.safetensors",
        vec![
            layer(
                2,
                vec![1.0, 0.0, 0.0, 0.0],
                vec![0.0, -1.0],
                Activation::Relu,
            ),
            layer(
                2,
                vec![1.0, 0.0, -1.0, 0.0, 0.0, 0.0],
                vec![0.0, 0.1, -50.0],
                Activation::Identity,
            ),
        ],
    );
    // map --neuron 0:0: on where x > 0, the right half of the image.
    let png = dir.path().join("n.png");
    ok(&[
        "map",
        s(&model),
        "--size",
        "64",
        "--neuron",
        "0:0",
        "-o",
        s(&png),
    ]);
    let map = image::open(&png).unwrap().to_rgb8();
    let on = faultline_render::class_colour(1);
    assert_eq!(map.get_pixel(60, 30).0, on);
    assert_ne!(map.get_pixel(3, 30).0, on);
    // The contact sheet: one tile per neuron and output, the dead neuron and the dormant
    // output marked.
    let sheet = dir.path().join("sheet.png");
    let out = ok(&["neurons", s(&model), "--size", "32", "-o", s(&sheet)]);
    assert!(
        out.contains("2 neurons and 3 outputs") && out.contains("1 dead, 1 dormant"),
        "{out}"
    );
    let image = image::open(&sheet).unwrap().to_rgb8();
    // The first layer's titles (the band between its heading and its tiles, 34..52 px
    // down) are grey text, the dead neuron's red.
    let marked = image
        .enumerate_pixels()
        .filter(|(_, y, p)| (34..52).contains(y) && p.0[0] > 120 && p.0[1] < 90)
        .count();
    assert!(marked > 10, "{marked} red title pixels");
    for (args, phrase) in [
        (
            vec![
                "map",
                s(&model),
                "--size",
                "8",
                "--neuron",
                "0:7",
                "-o",
                s(&png),
            ],
            "no neuron 7 in layer 0",
        ),
        (
            vec![
                "map",
                s(&model),
                "--size",
                "8",
                "--neuron",
                "9:0",
                "-o",
                s(&png),
            ],
            "no layer 9",
        ),
        (
            vec![
                "map",
                s(&model),
                "--size",
                "8",
                "--neuron",
                "x",
                "-o",
                s(&png),
            ],
            "expected LAYER:NEURON",
        ),
        (
            vec!["neurons", s(&model), "--size", "2", "-o", s(&sheet)],
            "--size 2",
        ),
    ] {
        let line = fails(&args);
        assert!(line.contains(phrase), "{args:?}: {line}");
    }
}
