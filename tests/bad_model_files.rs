//! Every way a model file can be wrong gets one clear error line from both `inspect` and
//! `eval`, a non-zero exit, no panic, and no output file.

mod common;

use std::path::Path;

use common::{fails, s};

/// One tensor for [`safetensors_bytes`]: name, dtype, shape, raw little-endian data.
type Tensor = (&'static str, &'static str, Vec<usize>, Vec<u8>);

/// Builds a safetensors file by hand, so broken files can be made on purpose.
fn safetensors_bytes(tensors: &[Tensor], metadata: &[(&str, &str)]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        let m: serde_json::Map<String, serde_json::Value> = metadata
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
            .collect();
        header.insert("__metadata__".into(), m.into());
    }
    let mut offset = 0;
    let mut data = Vec::new();
    for (name, dtype, shape, bytes) in tensors {
        header.insert(
            name.to_string(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes.len()]}),
        );
        offset += bytes.len();
        data.extend_from_slice(bytes);
    }
    let mut h = serde_json::Value::Object(header).to_string();
    while !h.len().is_multiple_of(8) {
        h.push(' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(&data);
    out
}

fn f32s(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn t(name: &'static str, shape: &[usize], values: &[f32]) -> Tensor {
    (name, "F32", shape.to_vec(), f32s(values))
}

/// A valid 2-3-2 network's tensors.
fn good_tensors() -> Vec<Tensor> {
    vec![
        t("layers.0.weight", &[3, 2], &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
        t("layers.0.bias", &[3], &[0.0, 0.1, 0.2]),
        t(
            "layers.1.weight",
            &[2, 3],
            &[1.0, -1.0, 0.5, -0.5, 1.0, 0.0],
        ),
        t("layers.1.bias", &[2], &[0.0, 0.0]),
    ]
}

const GOOD_META: [(&str, &str); 2] = [
    ("activations", "sigmoid,sigmoid"),
    ("domain", "[[0, 1], [0, 1]]"),
];

fn with(f: impl FnOnce(&mut Vec<Tensor>)) -> Vec<u8> {
    let mut tensors = good_tensors();
    f(&mut tensors);
    safetensors_bytes(&tensors, &GOOD_META)
}

fn meta(m: &[(&str, &str)]) -> Vec<u8> {
    safetensors_bytes(&good_tensors(), m)
}

/// The good file with `from` replaced by `to` in its header (the header length fixed up).
fn edit_header(from: &str, to: &str) -> Vec<u8> {
    let good = safetensors_bytes(&good_tensors(), &GOOD_META);
    let n = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&good[8..8 + n]).unwrap();
    assert!(header.contains(from), "{header}");
    let mut h = header.trim_end().replacen(from, to, 1);
    while !h.len().is_multiple_of(8) {
        h.push(' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(&good[8 + n..]);
    out
}

/// (case name, file bytes, a phrase the error must contain)
fn cases() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let good = safetensors_bytes(&good_tensors(), &GOOD_META);
    let mut random = Vec::new();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..512 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        random.push(state as u8);
    }
    let mut huge_header = 1_000_000u64.to_le_bytes().to_vec();
    huge_header.extend_from_slice(b"{}      ");
    let mut not_json = 8u64.to_le_bytes().to_vec();
    not_json.extend_from_slice(b"notjson!");
    vec![
        ("empty file", vec![], "empty"),
        (
            "truncated file",
            good[..good.len() / 2].to_vec(),
            "not a valid safetensors file",
        ),
        ("random bytes", random, "not a valid safetensors file"),
        (
            "header longer than the file",
            huge_header,
            "header length is 1000000",
        ),
        ("header not JSON", not_json, "header"),
        (
            "missing tensor",
            with(|t| {
                t.remove(3);
            }),
            "missing tensor layers.1.bias",
        ),
        (
            "gap in layer numbering",
            with(|t| {
                t[2].0 = "layers.2.weight";
                t[3].0 = "layers.2.bias";
            }),
            "gap",
        ),
        (
            "shapes that don't chain",
            with(|t| t[2] = self::t("layers.1.weight", &[2, 2], &[1.0; 4])),
            "don't chain",
        ),
        (
            "wrong bias shape",
            with(|t| t[1] = self::t("layers.0.bias", &[2], &[0.0; 2])),
            "layers.0.bias has shape [2]",
        ),
        (
            "integer dtype",
            with(|t| t[1] = ("layers.0.bias", "I32", vec![3], vec![0; 12])),
            "dtype I32",
        ),
        (
            "NaN weight",
            with(|t| {
                t[0] = self::t(
                    "layers.0.weight",
                    &[3, 2],
                    &[0.1, f32::NAN, 0.3, 0.4, 0.5, 0.6],
                )
            }),
            "non-finite",
        ),
        (
            "Inf bias",
            with(|t| t[3] = self::t("layers.1.bias", &[2], &[0.0, f32::INFINITY])),
            "non-finite",
        ),
        (
            "missing activations",
            meta(&[("domain", "[[0, 1], [0, 1]]")]),
            "missing 'activations'",
        ),
        (
            "unknown activation",
            meta(&[("activations", "sigmoid,swish")]),
            "unknown activation 'swish'",
        ),
        (
            "too few activations",
            meta(&[("activations", "sigmoid")]),
            "lists 1 entries",
        ),
        (
            "softmax on a hidden layer",
            meta(&[("activations", "softmax,sigmoid")]),
            "softmax",
        ),
        (
            "malformed domain",
            meta(&[("activations", "sigmoid,sigmoid"), ("domain", "[0, 1, 2]")]),
            "'domain'",
        ),
        (
            "inverted domain",
            meta(&[
                ("activations", "sigmoid,sigmoid"),
                ("domain", "[[1, 0], [0, 1]]"),
            ]),
            "must increase",
        ),
        (
            "zero-width layer",
            safetensors_bytes(
                &[
                    t("layers.0.weight", &[0, 2], &[]),
                    t("layers.0.bias", &[0], &[]),
                ],
                &[("activations", "sigmoid")],
            ),
            "zero width",
        ),
        (
            "no layers",
            safetensors_bytes(&[], &[("activations", "sigmoid")]),
            "no layers",
        ),
        (
            "unexpected tensor name",
            with(|t| t[0].0 = "fc1.weight"),
            "unexpected tensor 'fc1.weight'",
        ),
        (
            "a metadata key given twice",
            edit_header(
                r#""activations":"sigmoid,sigmoid""#,
                r#""activations":"relu,relu","activations":"sigmoid,sigmoid""#,
            ),
            "names 'activations' twice",
        ),
        (
            "a tensor given twice",
            edit_header(
                r#""layers.0.bias":"#,
                r#""layers.0.bias":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"layers.0.bias":"#,
            ),
            "names 'layers.0.bias' twice",
        ),
        (
            "a tensor name of 20,000 characters",
            edit_header(
                r#""layers.0.bias":"#,
                &format!("\"{}\":", "n".repeat(20_000)),
            ),
            "unexpected tensor 'nnnn",
        ),
        (
            "classes do not match outputs",
            meta(&[("activations", "sigmoid,sigmoid"), ("classes", "[\"a\"]")]),
            "'classes' names 1 entries",
        ),
    ]
}

fn check(path: &Path, phrase: &str, case: &str, dir: &Path) {
    let inspect = fails(&["inspect", s(path)]);
    assert!(
        inspect.contains(phrase),
        "{case}: inspect said '{inspect}', expected '{phrase}'"
    );
    assert!(
        inspect.starts_with(&format!("error: {}", path.display())),
        "{case}: the error does not name the file first: '{inspect}'"
    );
    assert!(
        inspect.len() < 400,
        "{case}: {} characters of error",
        inspect.len()
    );
    let out = dir.join("out.npy");
    let eval = fails(&[
        "eval",
        s(path),
        "--size",
        "4",
        "--backend",
        "cpu",
        "--field",
        s(&out),
    ]);
    assert!(
        eval.contains(phrase),
        "{case}: eval said '{eval}', expected '{phrase}'"
    );
    assert!(!out.exists(), "{case}: eval left an output file");
    let leftovers = common::temporaries(dir);
    assert!(
        leftovers.is_empty(),
        "{case}: temporary files left: {leftovers:?}"
    );
}

#[test]
fn every_broken_file_gets_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    for (case, bytes, phrase) in cases() {
        let path = dir.path().join("model.safetensors");
        std::fs::write(&path, &bytes).unwrap();
        check(&path, phrase, case, dir.path());
    }
}

#[test]
fn the_valid_base_file_really_is_valid() {
    // Guards the cases above: each breaks exactly one thing of a file that loads.
    let model =
        faultline_model::io::from_bytes(&safetensors_bytes(&good_tensors(), &GOOD_META)).unwrap();
    assert_eq!(model.architecture(), "2-3-2");
}

#[test]
fn directories_and_missing_paths() {
    let dir = tempfile::tempdir().unwrap();
    check(dir.path(), "is a directory", "a directory", dir.path());
    let missing = dir.path().join("nope.safetensors");
    check(&missing, "No such file", "a missing path", dir.path());
    let line = fails(&["inspect", s(&missing)]);
    assert_eq!(
        line.matches("No such file").count(),
        1,
        "the OS message once: {line}"
    );
}

/// A FIFO with no writer is refused at once instead of blocking the command forever.
#[test]
fn a_pipe_is_not_a_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("model.safetensors");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    check(&fifo, "not a regular file", "a FIFO", dir.path());
}
