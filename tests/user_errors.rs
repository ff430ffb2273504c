//! What a fuzzer and a new user found (issue "Every error a user can hit"): each finding
//! as a test that failed before its fix. Wrong answers, late refusals, messages, files
//! and interruptions.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{diagonal_model, fails, faultline, faultline_env, ok, s, temporaries};
use faultline_model::{Activation, Domain, Layer, Mlp, ModelMetadata};

/// Saves a one-layer identity-output model `z = W x + b` with `domain`.
fn linear_model(
    dir: &Path,
    name: &str,
    weight: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
) -> PathBuf {
    let layer = Layer {
        inputs,
        outputs: bias.len(),
        weight,
        bias,
        activation: Activation::Identity,
    };
    let metadata = ModelMetadata {
        domain: (inputs == 2).then(|| Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap()),
        ..Default::default()
    };
    let path = dir.join(name);
    faultline_model::io::save(&Mlp::new(vec![layer], metadata).unwrap(), &path).unwrap();
    path
}

#[test]
fn domains_beyond_float32_are_refused_on_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let m = diagonal_model(dir.path(), 1.0);
    let out = dir.path().join("f.npy");
    for domain in [
        "--domain=1e39,1e40,0,1",
        "--domain=-1e308,1e308,-1e308,1e308",
    ] {
        let line = fails(&["eval", s(&m), "--size", "8", domain, "--field", s(&out)]);
        assert!(line.contains("beyond float32"), "{line}");
        assert!(line.len() < 200, "{line}");
        let line = fails(&[
            "map",
            s(&m),
            "--size",
            "8",
            domain,
            "-o",
            s(&dir.path().join("m.png")),
        ]);
        assert!(line.contains("beyond float32"), "{line}");
    }
    // Bounds that float32 cannot tell apart, and samples closer than it resolves.
    let line = fails(&[
        "eval",
        s(&m),
        "--size",
        "8",
        "--domain=1,1.00000001,0,1",
        "--field",
        s(&out),
    ]);
    assert!(line.contains("same number in float32"), "{line}");
    let line = fails(&[
        "eval",
        s(&m),
        "--size",
        "4096x2",
        "--domain=1000,1000.01,0,1",
        "--field",
        s(&out),
    ]);
    assert!(line.contains("closer than float32"), "{line}");
    assert!(!out.exists());
}

#[test]
fn weights_that_can_overflow_float32_get_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let m = linear_model(
        dir.path(),
        "big.safetensors",
        vec![1e30, 1e30, -1e30, 0.0],
        vec![0.0, 0.0],
        2,
    );
    let out = faultline(&[
        "eval",
        s(&m),
        "--size",
        "8",
        "--backend",
        "cpu",
        "--domain=-1e9,1e9,-1,1",
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("warning: ") && lines[0].contains("beyond float32"),
        "{stderr}"
    );
    // On its own domain the same model stays far below the limit: no warning.
    let out = faultline(&["eval", s(&m), "--size", "8", "--backend", "cpu"]);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_field_alone_reports_real_class_shares() {
    let dir = tempfile::tempdir().unwrap();
    let m = diagonal_model(dir.path(), 4.0);
    let field = dir.path().join("f.npy");
    let out = ok(&[
        "eval",
        s(&m),
        "--size",
        "5",
        "--backend",
        "cpu",
        "--field",
        s(&field),
    ]);
    assert!(!out.contains("NaN"), "{out}");
    // 5x5 on [0, 4]^2: class 1 where y > x, 10 of 25 cells.
    assert!(
        out.contains("class 0 60.0 %") && out.contains("class 1 40.0 %"),
        "{out}"
    );
    let out = ok(&["eval", s(&m), "--size", "5", "--backend", "cpu"]);
    assert!(out.contains("class 1 40.0 %"), "{out}");
}

#[test]
fn limits_are_checked_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.safetensors");
    // Training refuses a width a model file cannot hold before its first epoch.
    let out = faultline(&[
        "train",
        "--dataset",
        "s1",
        "--hidden",
        "100000",
        "-o",
        s(&model),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("at most 65536"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("trained"));
    let line = fails(&[
        "train",
        "--dataset",
        "s1",
        "--hidden",
        "9000,9000",
        "-o",
        s(&model),
    ]);
    assert!(line.contains("parameters"), "{line}");
    // An unwritable output folder fails before the evaluation, naming the user's path.
    let m = diagonal_model(dir.path(), 1.0);
    let line = fails(&[
        "map",
        s(&m),
        "--size",
        "16384",
        "-o",
        "/proc/faultline-map.png",
    ]);
    assert!(
        line.starts_with("error: -o /proc/faultline-map.png: "),
        "{line}"
    );
    assert!(
        !line.contains(".faultline-") && !line.contains(".tmp"),
        "{line}"
    );
    // A 3-input model without input ranges is shown on a slice along its first two
    // inputs: the one thing missing is the slice's extent.
    let three = linear_model(
        dir.path(),
        "three.safetensors",
        vec![1.0; 6],
        vec![0.0, 0.0],
        3,
    );
    let line = fails(&["eval", s(&three), "--size", "8"]);
    assert!(
        line.contains("no range for x0 and x1") && line.contains("pass --domain"),
        "{line}"
    );
    assert!(line.contains("three.safetensors"), "{line}");
    ok(&["eval", s(&three), "--size", "8", "--domain=0,1,0,1"]);
}

#[test]
fn messages_say_things_once_and_name_the_user_s_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.safetensors");
    let line = fails(&["train", "--dataset", "csv:", "-o", s(&model)]);
    assert!(line.contains("no CSV file named"), "{line}");
    // A constant column of 1e20 trains (its domain widened in proportion), or its error
    // names the file.
    let csv = dir.path().join("const.csv");
    let rows: String = (0..40).map(|i| format!("1e20,{},{}\n", i, i % 2)).collect();
    std::fs::write(&csv, format!("a,b,label\n{rows}")).unwrap();
    let csv_flag = format!("csv:{}", csv.display());
    let out = faultline(&[
        "train",
        "--dataset",
        &csv_flag,
        "--epochs",
        "2",
        "--quiet",
        "-o",
        s(&model),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("const.csv"),
        "{stderr}"
    );
    assert!(!stderr.contains("invalid grid"), "{stderr}");
    // A missing argument is named.
    let line = fails(&["eval", s(&model)]);
    assert!(line.contains("--size"), "{line}");
    // A long value is cut, not echoed whole.
    let long = "x".repeat(20_000);
    let line = fails(&["eval", s(&model), "--size", &long]);
    assert!(line.len() < 300, "{} characters", line.len());
}

#[test]
fn no_gpu_library_noise_without_a_runtime_dir() {
    let dir = tempfile::tempdir().unwrap();
    let m = diagonal_model(dir.path(), 1.0);
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["eval", s(&m), "--size", "8", "--backend", "gpu"])
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .unwrap();
    common::assert_no_error_lines(&out, &["eval without XDG_RUNTIME_DIR"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && !faultline_gpu::gpu_required() {
        eprintln!("skipping: no adapter: {stderr}");
        return;
    }
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn folders_named_for_output_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let m = diagonal_model(dir.path(), 1.0);
    let dump = dir.path().join("new").join("wgsl");
    let out = faultline_env(
        &["eval", s(&m), "--size", "8", "--backend", "gpu"],
        &[("FAULTLINE_DUMP_WGSL", s(&dump))],
    );
    if out.status.success() {
        let dumped = std::fs::read_dir(&dump).map(|d| d.count()).unwrap_or(0);
        assert!(dumped >= 1, "nothing written to {}", dump.display());
    } else {
        assert!(
            !faultline_gpu::gpu_required(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let models = dir.path().join("models").join("deeper");
    ok(&[
        "bench",
        "--size",
        "8",
        "--repeats",
        "1",
        "--backend",
        "cpu",
        "--save-models",
        s(&models),
    ]);
    assert!(std::fs::read_dir(&models).unwrap().count() >= 1);
}

#[test]
fn images_are_written_only_under_a_png_name() {
    let dir = tempfile::tempdir().unwrap();
    let m = diagonal_model(dir.path(), 1.0);
    let jpg = dir.path().join("x.jpg");
    let line = fails(&["map", s(&m), "--size", "8", "-o", s(&jpg)]);
    assert!(line.contains("PNG"), "{line}");
    assert!(!jpg.exists());
    ok(&[
        "map",
        s(&m),
        "--size",
        "8",
        "-o",
        s(&dir.path().join("X.PNG")),
    ]);
}

#[test]
fn links_are_written_through_and_one_file_is_never_two_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let m = diagonal_model(dir.path(), 1.0);
    let target = dir.path().join("real.npy");
    std::fs::write(&target, b"old").unwrap();
    let link = dir.path().join("link.npy");
    std::os::unix::fs::symlink("real.npy", &link).unwrap();
    ok(&["eval", s(&m), "--size", "4", "--classes", s(&link)]);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::read(&target).unwrap().starts_with(b"\x93NUMPY"));

    let c = dir.path().join("c.npy");
    let line = fails(&[
        "eval",
        s(&m),
        "--size",
        "4",
        "--classes",
        s(&c),
        "--decision",
        s(&c),
    ]);
    assert!(line.contains("the same file as --classes"), "{line}");
    let line = fails(&[
        "eval",
        s(&m),
        "--size",
        "4",
        "--classes",
        s(&c),
        "--decision",
        s(&link),
        "--field",
        s(&target),
    ]);
    assert!(
        line.contains("--decision") && line.contains("the same file as --field"),
        "{line}"
    );
    let line = fails(&["eval", s(&m), "--size", "4", "--field", s(&m)]);
    assert!(line.contains("the model"), "{line}");
    assert!(faultline_model::io::load(&m).is_ok(), "the model is intact");
    assert!(!c.exists() && temporaries(dir.path()).is_empty());
}

/// Ctrl-C or SIGTERM while a command works removes its temporary files; the user's file
/// at the output path is untouched.
#[test]
fn interrupted_runs_leave_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    // A wide net on a large grid: seconds of work after the outputs are created.
    let mut mlp = faultline_model::random::random_mlp(
        &[2, 256, 256, 10],
        Activation::Tanh,
        Activation::Identity,
        1,
        1.0,
    );
    mlp.metadata.domain = Some(Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap());
    let m = dir.path().join("wide.safetensors");
    faultline_model::io::save(&mlp, &m).unwrap();
    let field = dir.path().join("field.npy");
    for signal in ["-INT", "-TERM"] {
        std::fs::write(&field, b"the user's file").unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args([
                "eval",
                s(&m),
                "--size",
                "4096",
                "--backend",
                "cpu",
                "--field",
                s(&field),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while temporaries(dir.path()).is_empty() && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !temporaries(dir.path()).is_empty(),
            "the output was never started"
        );
        let killed = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert!(!status.success(), "{signal}: the run was not interrupted");
        assert!(
            temporaries(dir.path()).is_empty(),
            "{signal}: {:?}",
            temporaries(dir.path())
        );
        assert_eq!(std::fs::read(&field).unwrap(), b"the user's file");
    }
}
