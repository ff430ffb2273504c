//! Deep zoom in the real window (under Xvfb): each zoom re-evaluates the new window at
//! full resolution; the domain reached is printed as `--domain`, and `map` of that domain
//! is the zoomed picture's map.

mod common;

use common::{fails, ok, s};

#[test]
fn the_window_zooms_into_the_domain() {
    if !common::window_testable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("zoom.png");
    let stdout = common::view_under_xvfb(&[
        "tests/fixtures/seed_233.safetensors",
        "--frames",
        "5",
        "--sweep-zoom",
        "100,120",
        "--resolution",
        "64",
        "--screenshot",
        s(&shot),
    ]);
    // Four zooms of 2x around (100, 120) in [0, 255]^2: a window 255/16 wide.
    let domain = stdout
        .split("now --domain ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(stdout.contains("zoomed 4 times to x1.6000e1"), "{stdout}");
    let v: Vec<f64> = domain.split(',').map(|p| p.parse().unwrap()).collect();
    let width = 255.0 / 16.0;
    assert!((v[1] - v[0] - width).abs() < 1e-9 && (v[3] - v[2] - width).abs() < 1e-9);
    assert!((v[0] + v[1]) / 2.0 - 100.0 < 1e-9 && ((v[2] + v[3]) / 2.0 - 120.0).abs() < 1e-9);
    assert!(shot.exists());
    // The printed domain is what map and render take.
    let map = dir.path().join("zoomed.png");
    ok(&[
        "map",
        "tests/fixtures/seed_233.safetensors",
        "--size",
        "64",
        "--domain",
        domain,
        "-o",
        s(&map),
    ]);
    let line = fails(&[
        "view",
        "tests/fixtures/seed_233.safetensors",
        "--sweep-zoom",
        "1,2",
    ]);
    assert!(
        line.contains("--sweep-zoom needs --frames") || line.contains("no display"),
        "{line}"
    );
}
