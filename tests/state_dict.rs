//! PyTorch state dicts as `save_file(net.state_dict())` writes them: loaded with
//! `--activations`, checked against numpy, converted once with `faultline convert`;
//! pickled files refused with the line that converts them.

mod common;

use common::{fails, ok, read_f64, s};

const SEQUENTIAL: &str = "tests/fixtures/sequential_2653.safetensors";
const MODULES: &str = "tests/fixtures/modules_2653.safetensors";
const EXPECTED: &str = "tests/fixtures/state_dict_2653_field_9x7.npy";
const DOMAIN: &str = "--domain=-2,2,-1.5,1.5";

#[test]
fn state_dicts_need_activations_and_then_match_numpy() {
    for file in [SEQUENTIAL, MODULES] {
        let line = fails(&["inspect", file]);
        assert!(
            line.contains(file) && line.contains("--activations"),
            "{line}"
        );
        let line = fails(&["eval", file, "--size", "9x7", DOMAIN]);
        assert!(line.contains("--activations relu,relu,softmax"), "{line}");
        let line = fails(&["--activations", "relu,relu", "inspect", file]);
        assert!(
            line.contains("2 entries") && line.contains("3 linear layers"),
            "{line}"
        );

        let dir = tempfile::tempdir().unwrap();
        let field = dir.path().join("f.npy");
        // PyTorch's spelling of the names, given after the subcommand.
        ok(&[
            "eval",
            file,
            "--size",
            "9x7",
            DOMAIN,
            "--backend",
            "cpu",
            "--field",
            s(&field),
            "--activations",
            "ReLU,ReLU,Softmax",
        ]);
        let (shape, got) = read_f64(&field);
        let (_, expected) = read_f64(std::path::Path::new(EXPECTED));
        assert_eq!(shape, [7, 9, 3]);
        for (a, b) in got.iter().zip(&expected) {
            assert!(
                (a - b).abs() <= 1e-6 + 1e-5 * b.abs(),
                "{file}: {a} vs numpy {b}"
            );
        }
    }
    let out = ok(&["--activations", "relu,relu,softmax", "inspect", SEQUENTIAL]);
    assert!(
        out.contains("PyTorch state dict: linear layers 0, 2, 4 (in the numeric order"),
        "{out}"
    );
    let out = ok(&["--activations", "relu,relu,softmax", "inspect", MODULES]);
    assert!(
        out.contains("linear layers fc1, fc2, head (in file order)"),
        "{out}"
    );
}

#[test]
fn convert_writes_our_format_once() {
    let dir = tempfile::tempdir().unwrap();
    let converted = dir.path().join("m.safetensors");
    let out = ok(&[
        "convert",
        MODULES,
        "-o",
        s(&converted),
        "--activations",
        "relu,relu,softmax",
        "--classes",
        "cat,dog,bird",
        "--inputs",
        "u,v",
        DOMAIN,
    ]);
    assert!(out.contains("2-6-5-3 relu,relu,softmax"), "{out}");
    let out = ok(&["inspect", s(&converted)]);
    assert!(
        out.contains("faultline layout") && out.contains("cat, dog, bird"),
        "{out}"
    );
    assert!(
        out.contains("u, v") && out.contains("x [-2, 2], y [-1.5, 1.5]"),
        "{out}"
    );
    // The converted file needs no flags and gives numpy's field.
    let field = dir.path().join("f.npy");
    ok(&[
        "eval",
        s(&converted),
        "--size",
        "9x7",
        "--backend",
        "cpu",
        "--field",
        s(&field),
    ]);
    let (_, got) = read_f64(&field);
    let (_, expected) = read_f64(std::path::Path::new(EXPECTED));
    assert!(
        got.iter()
            .zip(&expected)
            .all(|(a, b)| (a - b).abs() <= 1e-6 + 1e-5 * b.abs())
    );
    let line = fails(&[
        "convert",
        MODULES,
        "-o",
        s(&dir.path().join("x.safetensors")),
        "--activations",
        "relu,relu,softmax",
        "--classes",
        "a,b",
    ]);
    assert!(line.contains("'classes' names 2 entries"), "{line}");
    let line = fails(&["convert", s(&converted), "-o", s(&converted)]);
    assert!(line.contains("the same file as the input"), "{line}");
}

#[test]
fn pickled_files_are_refused_with_the_line_that_converts_them() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("model.pt", b"PK\x03\x04archive".to_vec()),
        ("model.pth", b"\x80\x04\x95pickle".to_vec()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let line = fails(&["inspect", s(&path)]);
        assert!(line.contains("never unpickled"), "{line}");
        assert!(
            line.contains("python -c") && line.contains("weights_only=True"),
            "{line}"
        );
    }
}
