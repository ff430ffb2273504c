//! `train --snapshot-every K`: the weights at epoch 0, every K epochs and at the end in
//! the model file, the same file for the same seed, the final model unchanged by them,
//! `inspect` listing the epochs and `--epoch E` using one.

mod common;

use common::{fails, ok, read_f64, s};

#[test]
fn snapshots_are_kept_listed_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let train = |name: &str, extra: &[&str]| {
        let path = dir.path().join(name);
        let mut args = vec![
            "train",
            "--dataset",
            "s2",
            "--seed",
            "3",
            "--epochs",
            "12",
            "--samples",
            "800",
            "--quiet",
            "-o",
            s(&path),
        ];
        args.extend_from_slice(extra);
        ok(&args);
        path
    };
    let a = train("a.safetensors", &["--snapshot-every", "5"]);
    let b = train("b.safetensors", &["--snapshot-every", "5"]);
    let plain = train("plain.safetensors", &[]);
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "same seed, same bytes"
    );
    let with = faultline_model::io::load(&a).unwrap();
    let without = faultline_model::io::load(&plain).unwrap();
    assert_eq!(
        with.layers(),
        without.layers(),
        "snapshots change nothing else"
    );
    let epochs: Vec<usize> = with.snapshots.iter().map(|(e, _)| *e).collect();
    assert_eq!(epochs, [0, 5, 10, 12]);
    assert_eq!(
        with.snapshots[3].1,
        with.layers(),
        "the last snapshot is the final model"
    );
    let inspect = ok(&["inspect", s(&a)]);
    assert!(inspect.contains("snapshots   4 epochs"), "{inspect}");
    assert!(
        inspect.lines().any(|l| l.trim_start().starts_with("10  ")),
        "{inspect}"
    );
    // --epoch 0 is the untrained network: its field differs from the final one's.
    let field = |epoch: &str, out: &str| {
        let path = dir.path().join(out);
        ok(&[
            "eval",
            s(&a),
            "--size",
            "32",
            "--field",
            s(&path),
            "--epoch",
            epoch,
        ]);
        read_f64(&path).1
    };
    let (first, last) = (field("0", "e0.npy"), field("12", "e12.npy"));
    assert_ne!(first, last);
    let final_field = dir.path().join("final.npy");
    ok(&["eval", s(&a), "--size", "32", "--field", s(&final_field)]);
    assert_eq!(read_f64(&final_field).1, last);
    let line = fails(&[
        "eval",
        s(&a),
        "--size",
        "8",
        "--epoch",
        "7",
        "--classes",
        s(&dir.path().join("x.npy")),
    ]);
    assert!(
        line.contains("no snapshot of epoch 7") && line.contains("0, 5, 10, 12"),
        "{line}"
    );
    let line = fails(&[
        "eval",
        s(&plain),
        "--size",
        "8",
        "--epoch",
        "1",
        "--classes",
        s(&dir.path().join("x.npy")),
    ]);
    assert!(line.contains("holds none"), "{line}");
    let line = fails(&[
        "train",
        "--dataset",
        "s1",
        "--snapshot-every",
        "0",
        "-o",
        s(&dir.path().join("z.safetensors")),
    ]);
    assert!(
        line.contains("--snapshot-every must be at least 1"),
        "{line}"
    );
    // Every snapshot as a frame of an animated PNG.
    let anim = dir.path().join("anim.png");
    let out = ok(&["map", s(&a), "--size", "48", "--animate", "-o", s(&anim)]);
    assert!(
        out.contains("4 frames") && out.contains("epochs 0, 5, 10, 12"),
        "{out}"
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&anim).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    assert_eq!(
        reader.info().animation_control.map(|a| a.num_frames),
        Some(4)
    );
    let mut frames = Vec::new();
    for _ in 0..4 {
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        frames.push(buf);
    }
    assert_ne!(
        frames[0], frames[3],
        "the untrained and trained maps differ"
    );
    let line = fails(&[
        "map",
        s(&plain),
        "--size",
        "8",
        "--animate",
        "-o",
        s(&dir.path().join("n.png")),
    ]);
    assert!(line.contains("holds no training snapshots"), "{line}");
}
