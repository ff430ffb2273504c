//! `faultline train` end to end: accuracy measured from the written file alone,
//! byte-for-byte determinism, CSV data, and bad flags.

mod common;

use std::path::Path;

use common::{fails, ok, s};
use faultline_model::arrays::argmax;
use faultline_train::PaperSet;

/// Accuracy of the model file on fresh samples at least `clear` pixels from a boundary.
fn accuracy_from_file(path: &Path, set: PaperSet, clear: f64) -> (f64, usize) {
    let model = faultline_model::io::load(path).unwrap();
    let fresh = set.generate(20_000, 30.0, 0xF2E5).unwrap();
    let mut right = 0;
    let mut total = 0;
    for i in 0..fresh.len() {
        let x = fresh.sample(i);
        let (x1, x2) = (f64::from(x[0]), f64::from(x[1]));
        if set.boundary_distance(x1, x2, 30.0) < clear {
            continue;
        }
        let z: Vec<f32> = model
            .forward_f64(&[x1, x2])
            .iter()
            .map(|&v| v as f32)
            .collect();
        total += 1;
        right += usize::from(argmax(&z) as usize == set.label(x1, x2, 30.0));
    }
    (right as f64 / total as f64, total)
}

#[test]
fn s1_seed_7_classifies_fresh_samples_from_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let out = ok(&[
        "train",
        "--dataset",
        "s1",
        "--seed",
        "7",
        "--quiet",
        "-o",
        s(&path),
    ]);
    assert!(out.contains("2-3-3"), "{out}");
    let (clear, n) = accuracy_from_file(&path, PaperSet::S1, 5.0);
    assert!(
        clear >= 0.97,
        "accuracy {clear} on {n} fresh samples away from the boundaries"
    );
    let (all, _) = accuracy_from_file(&path, PaperSet::S1, 0.0);
    eprintln!(
        "S1 seed 7: {:.2} % clear ({n} samples), {:.2} % all",
        clear * 100.0,
        all * 100.0
    );

    let model = faultline_model::io::load(&path).unwrap();
    let m = &model.metadata;
    assert_eq!(m.domain.unwrap().x, [0.0, 255.0]);
    assert_eq!(m.classes.as_deref().unwrap(), ["white", "black", "grey"]);
    let record: serde_json::Value = serde_json::from_str(m.training.as_ref().unwrap()).unwrap();
    assert_eq!(record["dataset"], "s1");
    assert_eq!(record["seed"], 7);
    assert!(record["test_accuracy"].as_f64().unwrap() > 0.9);

    let inspect = ok(&["inspect", s(&path)]);
    for phrase in [
        "2-3-3",
        "21 parameters",
        "sigmoid",
        "white, black, grey",
        "[0, 255]",
        "seed=7",
    ] {
        assert!(
            inspect.contains(phrase),
            "inspect lacks '{phrase}':\n{inspect}"
        );
    }
}

#[test]
fn same_seed_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, seed: &str| {
        let path = dir.path().join(name);
        ok(&[
            "train",
            "--dataset",
            "s2",
            "--seed",
            seed,
            "--epochs",
            "3",
            "--hidden",
            "4,3",
            "--quiet",
            "-o",
            s(&path),
        ]);
        std::fs::read(path).unwrap()
    };
    let a = run("a.safetensors", "11");
    let b = run("b.safetensors", "11");
    let c = run("c.safetensors", "12");
    assert!(a == b, "same seed, different bytes");
    assert!(a != c, "different seeds gave the same model");
}

#[test]
fn csv_data_trains_with_a_named_label_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("points.csv");
    let mut text = String::from("label,u,v\n");
    for i in 0..200 {
        let (u, v) = ((i * 37 % 101) as f32 / 10.0, (i * 53 % 97) as f32 / 10.0);
        let label = if u > v { "right" } else { "left" };
        text.push_str(&format!("{label},{u},{v}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let model = dir.path().join("csv.safetensors");
    let arg = format!("csv:{}", s(&csv));
    ok(&[
        "train",
        "--dataset",
        &arg,
        "--label",
        "label",
        "--epochs",
        "40",
        "--quiet",
        "-o",
        s(&model),
    ]);
    let inspect = ok(&["inspect", s(&model)]);
    assert!(inspect.contains("left, right"), "{inspect}");
    assert!(inspect.contains("u, v"), "{inspect}");
}

#[test]
fn bad_training_input_gets_one_clear_line_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.safetensors");
    let o = s(&out);
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        format!("csv:{}", s(&p))
    };
    let no_label = write("a.csv", "x,y,class\n1,2,a\n3,4,b\n");
    let non_numeric = write("b.csv", "x,y,class\n1,oops,a\n3,4,b\n");
    let one_class = write("c.csv", "x,y,class\n1,2,a\n3,4,a\n");
    let empty = write("d.csv", "");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--dataset", "s1", "--epochs", "0"], "--epochs"),
        (vec!["--dataset", "s1", "--hidden", ""], "--hidden"),
        (vec!["--dataset", "s1", "--margin", "-1"], "--margin"),
        (vec!["--dataset", "s9"], "--dataset 's9'"),
        (
            vec!["--dataset", "s1", "--activation", "swish"],
            "--activation",
        ),
        (
            vec!["--dataset", &no_label, "--label", "kind"],
            "no label column 'kind'",
        ),
        (vec!["--dataset", &non_numeric], "'oops' is not a number"),
        (vec!["--dataset", &one_class], "at least two classes"),
        (vec!["--dataset", &empty], "empty"),
        (vec!["--dataset", "csv:/no/such/file.csv"], "No such file"),
    ];
    for (args, phrase) in cases {
        let mut full = vec!["train"];
        full.extend(&args);
        full.extend(["--quiet", "-o", o]);
        let line = fails(&full);
        assert!(line.contains(phrase), "{args:?}: '{line}' lacks '{phrase}'");
        assert!(!out.exists(), "{args:?} left a file");
    }
    let line = fails(&[
        "train",
        "--dataset",
        "s1",
        "-o",
        "/no/such/folder/m.safetensors",
    ]);
    assert!(line.contains("does not exist"), "{line}");
}
