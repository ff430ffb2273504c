//! Planes through wider models' input space (`--axes`/`--at`, `--through`, `--pca`,
//! `--plane`): the field on the plane a written `--plane-out` file defines, against the
//! float64 reference of the original network (here, and with numpy through
//! scripts/check_plane.py when numpy and safetensors are importable) on both backends;
//! the samples on the plane, the principal directions, two-input models unchanged, and
//! every bad plane refused in one line with nothing written.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, gpu_available, ok, read_f64, s};

const DIGITS: &str = "tests/fixtures/digits_64.safetensors";
const DIGITS_CSV: &str = "tests/fixtures/digits.csv";

fn backends() -> Vec<&'static str> {
    if gpu_available() {
        vec!["cpu", "gpu"]
    } else {
        vec!["cpu"]
    }
}

/// A written plane file: origin, u, v and the domain.
struct PlaneJson {
    origin: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
    domain: [[f64; 2]; 2],
    how: String,
}

fn read_plane(path: &Path) -> PlaneJson {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let vector = |k: &str| -> Vec<f64> {
        json[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let d = &json["domain"];
    let pair = |i: usize| [d[i][0].as_f64().unwrap(), d[i][1].as_f64().unwrap()];
    PlaneJson {
        origin: vector("origin"),
        u: vector("u"),
        v: vector("v"),
        domain: [pair(0), pair(1)],
        how: json["how"].as_str().unwrap().to_string(),
    }
}

/// The field at the grid points the plane file defines against the original network's
/// float64 forward pass (1e-4 relative + 1e-5 absolute), and the classes against its
/// argmax except at near-ties.
fn assert_matches_reference(model: &str, plane: &PlaneJson, field: &Path, classes: &Path) {
    let mlp = faultline_model::io::load(Path::new(model)).unwrap();
    let (shape, got) = read_f64(field);
    let (_, labels) = read_f64(classes);
    let (h, w, c) = (shape[0], shape[1], shape[2]);
    let [[s0, s1], [t0, t1]] = plane.domain;
    for r in (0..h).step_by(5) {
        for col in (0..w).step_by(3) {
            let sc = s0 + (s1 - s0) * col as f64 / (w - 1) as f64;
            let tr = t0 + (t1 - t0) * r as f64 / (h - 1) as f64;
            let x: Vec<f64> = (0..plane.origin.len())
                .map(|i| plane.origin[i] + sc * plane.u[i] + tr * plane.v[i])
                .collect();
            let want = mlp.forward_f64(&x);
            let cell = r * w + col;
            for k in 0..c {
                let (a, b) = (got[cell * c + k], want[k]);
                assert!(
                    (a - b).abs() <= 1e-5 + 1e-4 * b.abs(),
                    "{model} cell ({r}, {col}) output {k}: {a} vs reference {b}"
                );
            }
            let mut order: Vec<usize> = (0..c).collect();
            order.sort_by(|&i, &j| want[j].total_cmp(&want[i]));
            if labels[cell] as usize != order[0] {
                assert!(
                    want[order[0]] - want[order[1]] <= 1e-4,
                    "{model} cell ({r}, {col}): class {} vs reference {}",
                    labels[cell],
                    order[0]
                );
            }
        }
    }
}

/// scripts/check_plane.py, when numpy and safetensors are importable (CI installs them).
fn numpy_check(args: &[&str]) {
    common::python_check("scripts/check_plane.py", args);
}

fn eval_on_plane(
    dir: &Path,
    tag: &str,
    model: &str,
    plane_flags: &[&str],
    backend: &str,
) -> [PathBuf; 3] {
    let field = dir.join(format!("{tag}-{backend}-field.npy"));
    let classes = dir.join(format!("{tag}-{backend}-classes.npy"));
    let plane = dir.join(format!("{tag}-{backend}-plane.json"));
    let mut args = vec![
        "eval",
        model,
        "--size",
        "256",
        "--backend",
        backend,
        "--field",
        s(&field),
        "--classes",
        s(&classes),
        "--plane-out",
        s(&plane),
    ];
    args.extend_from_slice(plane_flags);
    ok(&args);
    [field, classes, plane]
}

#[test]
fn through_three_digits_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("{DIGITS_CSV}:3,17,42");
    for backend in backends() {
        let [field, classes, plane_path] = eval_on_plane(
            dir.path(),
            "through",
            DIGITS,
            &["--through", &spec],
            backend,
        );
        let plane = read_plane(&plane_path);
        assert_eq!(plane.how, "through");
        assert_eq!(plane.origin.len(), 64);
        assert_matches_reference(DIGITS, &plane, &field, &classes);
        numpy_check(&[
            DIGITS,
            s(&plane_path),
            s(&field),
            "--classes",
            s(&classes),
            "--through",
            &spec,
        ]);
    }
}

#[test]
fn principal_plane_of_the_digits() {
    let dir = tempfile::tempdir().unwrap();
    for backend in backends() {
        let [field, classes, plane_path] =
            eval_on_plane(dir.path(), "pca", DIGITS, &["--pca", DIGITS_CSV], backend);
        let plane = read_plane(&plane_path);
        assert_eq!(plane.how, "pca");
        assert_matches_reference(DIGITS, &plane, &field, &classes);
        numpy_check(&[
            DIGITS,
            s(&plane_path),
            s(&field),
            "--classes",
            s(&classes),
            "--pca",
            DIGITS_CSV,
        ]);
    }
}

/// A 4-input iris network trained here from the shipped data set.
fn iris_model(dir: &Path) -> PathBuf {
    let model = dir.join("iris.safetensors");
    ok(&[
        "train",
        "--dataset",
        "csv:data/iris.csv",
        "--hidden",
        "16,16",
        "--activation",
        "relu",
        "--output-activation",
        "softmax",
        "--epochs",
        "60",
        "--seed",
        "3",
        "--quiet",
        "-o",
        s(&model),
    ]);
    model
}

#[test]
fn axis_slices_of_iris_with_fixed_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let model = iris_model(dir.path());
    let inspect = ok(&["inspect", s(&model)]);
    assert!(
        inspect.contains("reference   sepal_length=")
            && inspect.contains("ranges      sepal_length [4.3, 7.9]"),
        "{inspect}"
    );
    let flags = ["--axes", "petal_length,3", "--at", "sepal_length=6.1"];
    for backend in backends() {
        let [field, classes, plane_path] =
            eval_on_plane(dir.path(), "axes", s(&model), &flags, backend);
        let plane = read_plane(&plane_path);
        let mlp = faultline_model::io::load(&model).unwrap();
        let reference = mlp.metadata.reference.clone().unwrap();
        assert_eq!(plane.how, "axes");
        assert_eq!(plane.origin, [6.1, reference[1], 0.0, 0.0]);
        assert_eq!(plane.u, [0.0, 0.0, 1.0, 0.0]);
        assert_eq!(plane.v, [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(plane.domain, [[1.0, 6.9], [0.1, 2.5]]);
        assert_matches_reference(s(&model), &plane, &field, &classes);
        numpy_check(&[
            s(&model),
            s(&plane_path),
            s(&field),
            "--classes",
            s(&classes),
        ]);
    }
    // The note names every fixed input and where its value came from; a wide model
    // without plane flags is sliced along its first two inputs.
    let out = common::faultline(&[
        "eval",
        s(&model),
        "--size",
        "8",
        "--classes",
        s(&dir.path().join("c.npy")),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success());
    assert!(
        stderr.contains("note: sepal_length and sepal_width as the axes; fixed: petal_length=")
            && stderr.contains("(the model's reference)"),
        "{stderr}"
    );
    // The plane file reproduces the slice.
    let plane = dir.path().join("axes-cpu-plane.json");
    let again = dir.path().join("again.npy");
    ok(&[
        "eval",
        s(&model),
        "--size",
        "256",
        "--backend",
        "cpu",
        "--plane",
        s(&plane),
        "--field",
        s(&again),
    ]);
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(dir.path().join("axes-cpu-field.npy")).unwrap()
    );
}

#[test]
fn two_input_models_are_unchanged_by_their_own_axes() {
    let dir = tempfile::tempdir().unwrap();
    let model = "tests/fixtures/seed_233.safetensors";
    for backend in backends() {
        let plain = dir.path().join(format!("plain-{backend}.npy"));
        let axes = dir.path().join(format!("axes-{backend}.npy"));
        let base = [
            "eval",
            model,
            "--size",
            "64x48",
            "--backend",
            backend,
            "--field",
        ];
        ok(&[&base[..], &[s(&plain)]].concat());
        ok(&[&base[..], &[s(&axes), "--axes", "0,1"]].concat());
        assert_eq!(
            std::fs::read(&plain).unwrap(),
            std::fs::read(&axes).unwrap(),
            "{backend}"
        );
    }
    // Swapped axes are the transposed picture.
    let swapped = dir.path().join("swapped.npy");
    ok(&[
        "eval",
        model,
        "--size",
        "32",
        "--backend",
        "cpu",
        "--classes",
        s(&swapped),
        "--axes",
        "1,0",
    ]);
    let straight = dir.path().join("straight.npy");
    ok(&[
        "eval",
        model,
        "--size",
        "32",
        "--backend",
        "cpu",
        "--classes",
        s(&straight),
    ]);
    let (_, a) = read_f64(&swapped);
    let (_, b) = read_f64(&straight);
    let differ = (0..32 * 32)
        .filter(|&i| a[i] != b[(i % 32) * 32 + i / 32])
        .count();
    assert!(differ <= 8, "{differ} cells differ from the transpose");
}

#[test]
fn bad_planes_get_one_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let zeros = vec!["0"; 64].join(",");
    let unit = |k: usize| {
        (0..64)
            .map(|i| if i == k { "1" } else { "0" })
            .collect::<Vec<_>>()
            .join(",")
    };
    let short = write(
        "short.json",
        r#"{"origin": [0, 0, 0], "u": [1, 0, 0], "v": [0, 1, 0], "domain": [[0, 1], [0, 1]]}"#,
    );
    let parallel = write(
        "parallel.json",
        &format!(
            r#"{{"origin": [{zeros}], "u": [{}], "v": [{}], "domain": [[0, 1], [0, 1]]}}"#,
            unit(3),
            unit(3)
        ),
    );
    let zero = write(
        "zero.json",
        &format!(
            r#"{{"origin": [{zeros}], "u": [{zeros}], "v": [{}], "domain": [[0, 1], [0, 1]]}}"#,
            unit(3)
        ),
    );
    let duplicate_rows = format!("{DIGITS_CSV}:5,5,9");
    let header: String = std::fs::read_to_string(DIGITS_CSV)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .into();
    let collinear = write(
        "collinear.csv",
        &format!("{header}\n{}\n{}\n{}\n", row(0.0), row(1.0), row(2.0)),
    );
    let mismatched = write("mismatched.csv", "a,b,label\n1,2,x\n3,4,y\n5,7,z\n");
    let past_end = format!("{DIGITS_CSV}:0,1,300");
    let collinear_spec = format!("{}:0,1,2", s(&collinear));
    let mismatched_spec = format!("{}:0,1,2", s(&mismatched));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--plane", s(&short)],
            "3 values, the model has 64 inputs",
        ),
        (vec!["--plane", s(&parallel)], "parallel"),
        (vec!["--plane", s(&zero)], "u is zero"),
        (vec!["--through", &duplicate_rows], "the same point"),
        (vec!["--through", &collinear_spec], "collinear"),
        (vec!["--through", &past_end], "row 300 is past the end"),
        (
            vec!["--through", &mismatched_spec],
            "do not match the model's inputs",
        ),
        (
            vec!["--pca", s(&mismatched)],
            "do not match the model's inputs",
        ),
        (vec!["--axes", "pixel_0_0,nose"], "no input 'nose'"),
        (vec!["--axes", "0,pixel_0_0"], "named twice"),
        (vec!["--axes", "1,2", "--at", "ear=3"], "no input 'ear'"),
        (vec!["--axes", "1,2", "--at", "5=1,5=2"], "given twice"),
        (vec!["--axes", "1,2", "--at", "pixel_0_1=4"], "is an axis"),
        (vec!["--pca", DIGITS_CSV, "--axes", "1,2"], "give one"),
        (vec!["--pca", DIGITS_CSV, "--at", "1=2"], "--at fixes"),
    ];
    for (flags, phrase) in cases {
        let field = dir.path().join("field.npy");
        let plane_out = dir.path().join("plane.json");
        let mut args = vec![
            "eval",
            DIGITS,
            "--size",
            "16",
            "--field",
            s(&field),
            "--plane-out",
            s(&plane_out),
        ];
        args.extend(flags.iter().copied());
        let line = fails(&args);
        assert!(line.contains(phrase), "{flags:?}: {line}");
        assert!(
            !field.exists() && !plane_out.exists(),
            "{flags:?} wrote a file"
        );
        assert!(
            common::temporaries(dir.path()).is_empty(),
            "{flags:?} left a temporary"
        );
    }
}

/// A digits row with every pixel `v` (three of them are collinear).
fn row(v: f64) -> String {
    let mut cells = vec![format!("{v}"); 64];
    cells.push("0".into());
    cells.join(",")
}

#[test]
fn data_on_the_map_marks_misclassified_samples() {
    let dir = tempfile::tempdir().unwrap();
    let model = iris_model(dir.path());
    // The same data with sample 0 (a setosa) relabelled: one more misclassified sample.
    let iris = std::fs::read_to_string("data/iris.csv").unwrap();
    let relabelled = dir.path().join("relabelled.csv");
    let mut lines: Vec<String> = iris.lines().map(str::to_string).collect();
    lines[1] = lines[1].replace("setosa", "virginica");
    std::fs::write(&relabelled, lines.join("\n") + "\n").unwrap();
    let count = |out: &str| -> (usize, usize) {
        let line = out.lines().find(|l| l.contains("samples of")).unwrap();
        let drawn = line.split(' ').next().unwrap().parse().unwrap();
        let wrong = line
            .split(", ")
            .find(|p| p.ends_with("misclassified (rings)"))
            .and_then(|p| p.split(' ').next())
            .unwrap()
            .parse()
            .unwrap();
        (drawn, wrong)
    };
    let map = |data: &Path, png: &Path| {
        ok(&[
            "map",
            s(&model),
            "--size",
            "300",
            "--pca",
            "data/iris.csv",
            "--near",
            "10",
            "--data",
            s(data),
            "-o",
            s(png),
        ])
    };
    let (plain, marked) = (dir.path().join("plain.png"), dir.path().join("marked.png"));
    let (drawn, wrong) = count(&map(Path::new("data/iris.csv"), &plain));
    let (drawn2, wrong2) = count(&map(&relabelled, &marked));
    assert_eq!(
        (drawn, drawn2),
        (150, 150),
        "every sample is within 10 of the plane"
    );
    assert_eq!(wrong2, wrong + 1);
    // The pictures differ only around sample 0's dot (a disc became a ring, its colour changed).
    let a = image::open(&plain).unwrap().to_rgb8();
    let b = image::open(&marked).unwrap().to_rgb8();
    let differ: Vec<(u32, u32)> = a
        .enumerate_pixels()
        .filter(|(x, y, p)| b.get_pixel(*x, *y) != *p)
        .map(|(x, y, _)| (x, y))
        .collect();
    assert!(
        !differ.is_empty() && differ.len() < 60,
        "{} pixels differ",
        differ.len()
    );
    let (xs, ys): (Vec<u32>, Vec<u32>) = differ.iter().copied().unzip();
    assert!(xs.iter().max().unwrap() - xs.iter().min().unwrap() <= 8);
    assert!(ys.iter().max().unwrap() - ys.iter().min().unwrap() <= 8);
    // A two-input model draws every sample inside its domain, none filtered.
    let moons = dir.path().join("moons.csv");
    std::fs::write(&moons, "a,b,label\n0.5,0.25,moon\n-1,0,sea\n9,9,sea\n").unwrap();
    let out = ok(&[
        "map",
        "tests/fixtures/sklearn_binary.safetensors",
        "--size",
        "64",
        "--data",
        s(&moons),
        "-o",
        s(&dir.path().join("moons.png")),
    ]);
    assert!(out.contains("2 of 3 samples"), "{out}");
    let line = fails(&[
        "map",
        s(&model),
        "--size",
        "64",
        "--data",
        "data/iris.csv",
        "--near=-1",
        "-o",
        s(&dir.path().join("never.png")),
    ]);
    assert!(line.contains("--near -1"), "{line}");
    assert!(!dir.path().join("never.png").exists());
}
