//! `faultline bench`: the JSON report's shape, and bad flags.

mod common;

use common::{fails, faultline_env, ok};

#[test]
fn json_report_holds_the_documented_fields() {
    let out = ok(&[
        "bench",
        "--size",
        "48",
        "--repeats",
        "1",
        "--backend",
        "all",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&out).expect("bench --json prints JSON");
    let results = report["results"].as_array().unwrap();
    assert!(results.len() >= 6, "{out}");
    for r in results {
        for field in [
            "backend",
            "model",
            "size",
            "points_per_second",
            "compute_points_per_second",
            "gflops",
            "seconds",
            "pipeline_seconds",
        ] {
            assert!(!r[field].is_null(), "missing {field} in {r}");
        }
        assert_eq!(r["size"], 48);
        assert!(r["points_per_second"].as_f64().unwrap() > 0.0);
    }
    let backends: Vec<&str> = results
        .iter()
        .map(|r| r["backend"].as_str().unwrap())
        .collect();
    for b in ["cpu", "cpu-burn", "cpu-reference"] {
        assert!(backends.contains(&b), "{b} missing from {backends:?}");
    }
    // The adapter is described where the gpu backend ran, and null where it was skipped.
    if common::gpu_available() {
        assert!(report["adapter"]["name"].is_string(), "{out}");
        assert!(backends.contains(&"gpu"), "{backends:?}");
    } else {
        assert!(report["adapter"].is_null(), "{out}");
        assert!(!backends.contains(&"gpu"), "{backends:?}");
    }
}

#[test]
fn bad_flags_and_missing_backends() {
    assert!(fails(&["bench", "--size", "0"]).contains("at least 1"));
    assert!(fails(&["bench", "--size", "1000000"]).contains("would need about"));
    assert!(fails(&["bench", "--backend", "tpu"]).contains("--backend 'tpu'"));
    // No adapter: gpu is skipped with a note, the rest still runs.
    let out = faultline_env(
        &[
            "bench",
            "--size",
            "16",
            "--repeats",
            "1",
            "--backend",
            "gpu,cpu",
        ],
        &[("FAULTLINE_ADAPTER", "no-such-adapter")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("gpu skipped"), "{stdout}");
    assert!(stdout.contains(" cpu "), "{stdout}");
}
