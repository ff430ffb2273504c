//! Helpers shared by the end-to-end tests: running the real binary.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `faultline` with `args`.
pub fn faultline(args: &[&str]) -> Output {
    faultline_env(args, &[])
}

/// Runs `faultline` with `args` and extra environment variables. Every run of the test
/// suite goes through here, so it also proves that no command that succeeds prints a line
/// starting with `error` on stderr (the GPU libraries once did, twice per run).
pub fn faultline_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the faultline binary runs");
    assert_no_error_lines(&out, args);
    out
}

/// Fails if `out` succeeded yet its stderr has a line starting with `error`.
pub fn assert_no_error_lines(out: &Output, args: &[&str]) {
    if out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.trim_start().to_ascii_lowercase().starts_with("error"))
            .collect();
        assert!(
            errors.is_empty(),
            "faultline {args:?} succeeded but printed {errors:?}"
        );
    }
}

/// Runs `faultline`, asserts success and returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = faultline(args);
    assert!(
        out.status.success(),
        "faultline {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `faultline`, asserts the bad-input contract (non-zero exit, exactly one line on
/// stderr, no panic) and returns that line.
pub fn fails(args: &[&str]) -> String {
    let out = faultline(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "faultline {args:?} should fail");
    assert_ne!(
        out.status.code(),
        Some(101),
        "panic exit code for {args:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic for {args:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one error line for {args:?}, got:\n{stderr}"
    );
    lines[0].to_string()
}

/// The path as a `&str` for argument lists.
pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp paths")
}

/// Reads a `.npy` file of f32, f64, u8 or u16 values as f64, with its shape.
pub fn read_f64(path: &Path) -> (Vec<usize>, Vec<f64>) {
    use ndarray::ArrayD;
    use ndarray_npy::ReadNpyExt;
    let file = || std::fs::File::open(path).unwrap();
    if let Ok(a) = ArrayD::<f64>::read_npy(file()) {
        return (a.shape().to_vec(), a.iter().copied().collect());
    }
    if let Ok(a) = ArrayD::<u8>::read_npy(file()) {
        return (
            a.shape().to_vec(),
            a.iter().map(|&v| f64::from(v)).collect(),
        );
    }
    if let Ok(a) = ArrayD::<u16>::read_npy(file()) {
        return (
            a.shape().to_vec(),
            a.iter().map(|&v| f64::from(v)).collect(),
        );
    }
    let a = ArrayD::<f32>::read_npy(file()).unwrap();
    (
        a.shape().to_vec(),
        a.iter().map(|&v| f64::from(v)).collect(),
    )
}

/// Whether a GPU adapter is available: with FAULTLINE_REQUIRE_GPU=1 a missing one panics,
/// otherwise the calling test prints why it skips.
pub fn gpu_available() -> bool {
    faultline_gpu::context_for_test().is_some()
}

/// Writes the model z0 = x, z1 = y (identity) over `[0, extent]^2` to `dir`: its outputs
/// cross on the diagonal.
pub fn diagonal_model(dir: &Path, extent: f64) -> std::path::PathBuf {
    use faultline_model::{Activation, Domain, Layer, Mlp, ModelMetadata};
    let layer = Layer {
        inputs: 2,
        outputs: 2,
        weight: vec![1.0, 0.0, 0.0, 1.0],
        bias: vec![0.0, 0.0],
        activation: Activation::Identity,
    };
    let metadata = ModelMetadata {
        domain: Some(Domain::new([0.0, extent], [0.0, extent]).unwrap()),
        ..Default::default()
    };
    let path = dir.join("diag.safetensors");
    faultline_model::io::save(&Mlp::new(vec![layer], metadata).unwrap(), &path).unwrap();
    path
}

/// The hidden temporary files (`.faultline-*`) left in `dir`.
pub fn temporaries(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".faultline-")
        })
        .collect()
}

/// Runs `python3 SCRIPT ARGS...` and asserts it succeeds, when numpy and safetensors are
/// importable (CI installs them; elsewhere the check is skipped with a note).
pub fn python_check(script: &str, args: &[&str]) {
    let probe = Command::new("python3")
        .args(["-c", "import numpy, safetensors"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping {script}: numpy or safetensors is not importable");
        return;
    }
    let run = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "{script} {args:?}:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Whether the real window can be tested: a GPU adapter and `xvfb-run`. CI must have
/// both (FAULTLINE_REQUIRE_GPU=1 makes a missing one fail); elsewhere the test skips.
pub fn window_testable() -> bool {
    if !gpu_available() {
        return false;
    }
    if Command::new("xvfb-run").arg("--help").output().is_err() {
        assert!(
            !faultline_gpu::gpu_required(),
            "CI must install xvfb (xvfb-run)"
        );
        eprintln!("skipping: xvfb-run is not installed");
        return false;
    }
    true
}

/// Runs `faultline view ARGS` in a virtual X display and returns its stdout, asserting
/// it succeeded without an error line.
pub fn view_under_xvfb(args: &[&str]) -> String {
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1600x1000x24"])
        .arg(env!("CARGO_BIN_EXE_faultline"))
        .arg("view")
        .args(args)
        .output()
        .unwrap();
    assert_no_error_lines(&out, &["view (under xvfb-run)"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Not blank: many distinct colours, and not one colour over most of the image.
pub fn assert_shows_a_landscape(path: &std::path::Path, min_colours: usize) {
    let img = image::open(path).unwrap().to_rgb8();
    let mut counts = std::collections::HashMap::new();
    for p in img.pixels() {
        *counts.entry(p.0).or_insert(0usize) += 1;
    }
    let most = counts.values().max().copied().unwrap_or(0);
    let pixels = (img.width() * img.height()) as usize;
    assert!(
        counts.len() > min_colours,
        "{}: only {} colours",
        path.display(),
        counts.len()
    );
    assert!(
        most < pixels * 9 / 10,
        "{}: one colour covers {most} of {pixels} pixels",
        path.display()
    );
}
