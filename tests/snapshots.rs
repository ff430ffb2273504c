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
    let out = ok(&["map", s(&a), "--size", "48", "--animate", s(&anim)]);
    assert!(
        out.contains("an animated PNG: 4 frames") && out.contains("epochs 0, 5, 10, 12"),
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
        s(&dir.path().join("n.png")),
    ]);
    assert!(line.contains("holds no training snapshots"), "{line}");
    assert!(!dir.path().join("n.png").exists());
}

/// The acceptance model: `--snapshot-every 10 --epochs 50` on S2.
fn trained(dir: &std::path::Path, every: &str, epochs: &str) -> std::path::PathBuf {
    let path = dir.join(format!("s2-{every}-{epochs}.safetensors"));
    ok(&[
        "train",
        "--dataset",
        "s2",
        "--seed",
        "7",
        "--epochs",
        epochs,
        "--samples",
        "600",
        "--snapshot-every",
        every,
        "--quiet",
        "-o",
        s(&path),
    ]);
    path
}

#[test]
fn each_snapshot_matches_numpy_and_safetensors_reads_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained(dir.path(), "10", "50");
    let m = faultline_model::io::load(&model).unwrap();
    let epochs: Vec<usize> = m.snapshots.iter().map(|(e, _)| *e).collect();
    assert_eq!(epochs, [0, 10, 20, 30, 40, 50]);
    // 45 epochs: the end is kept although it is no multiple of 10.
    let odd = faultline_model::io::load(&trained(dir.path(), "10", "45")).unwrap();
    let epochs: Vec<usize> = odd.snapshots.iter().map(|(e, _)| *e).collect();
    assert_eq!(epochs, [0, 10, 20, 30, 40, 45]);
    for epoch in ["0", "20", "50"] {
        let field = dir.path().join(format!("field-{epoch}.npy"));
        ok(&[
            "eval",
            s(&model),
            "--epoch",
            epoch,
            "--size",
            "64x48",
            "--backend",
            "cpu",
            "--field",
            s(&field),
        ]);
        // A float64 numpy forward pass of snapshots.{epoch}.* read by safetensors' own
        // loader (skipped where numpy or safetensors is missing).
        common::python_check(
            "scripts/check_numpy_forward.py",
            &[s(&model), s(&field), "--epoch", epoch],
        );
    }
}

/// The frames of a GIF, as RGB8.
fn gif_frames(path: &std::path::Path) -> Vec<Vec<u8>> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::fs::File::open(path).unwrap())
        .unwrap();
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        frames.push(
            frame
                .buffer
                .chunks(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
        );
    }
    frames
}

#[test]
fn animations_as_gif_and_mp4_end_on_the_final_landscape() {
    if !common::gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = trained(dir.path(), "10", "50");
    let (w, h) = (320usize, 180usize);
    let size = ["--width", "320", "--height", "180", "--resolution", "64"];
    let gif = dir.path().join("out.gif");
    let mut args = vec!["render", s(&model), "--animate", s(&gif)];
    args.extend_from_slice(&size);
    let out = ok(&args);
    assert!(out.contains("a GIF: 6 landscapes of 320x180"), "{out}");
    let frames = gif_frames(&gif);
    assert_eq!(frames.len(), 6, "one frame per snapshot");
    assert_ne!(frames[0], frames[5]);
    // The last frame is `render` of the final model, but for the caption box (the top
    // rows) and the GIF's 256 colours: the render tests' tolerance.
    let still = dir.path().join("final.png");
    let mut args = vec!["render", s(&model), "-o", s(&still)];
    args.extend_from_slice(&size);
    ok(&args);
    let reference = image::open(&still).unwrap().to_rgb8().into_raw();
    let skip = 20 * w * 3;
    let (last, reference) = (&frames[5][skip..], &reference[skip..]);
    let pixels = last.len() / 3;
    let total: u64 = last
        .iter()
        .zip(reference)
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    let off = last
        .chunks(3)
        .zip(reference.chunks(3))
        .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 48))
        .count();
    let mean = total as f64 / last.len() as f64;
    assert!(
        mean <= 1.5 && off as f64 <= 0.005 * pixels as f64,
        "last frame vs render: mean {mean:.2} levels, {off} of {pixels} pixels off"
    );
    assert_eq!(frames[5].len(), w * h * 3);

    // MP4 through ffmpeg when it is on PATH; one clear line when it is not.
    let mp4 = dir.path().join("out.mp4");
    let mut args = vec!["render", s(&model), "--animate", s(&mp4)];
    args.extend_from_slice(&size);
    let have_ffmpeg = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if have_ffmpeg {
        let out = ok(&args);
        assert!(out.contains("an MP4 (ffmpeg): 6 landscapes"), "{out}");
        let probe = std::process::Command::new("ffprobe")
            .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
            .args(["-show_entries", "stream=nb_read_frames,width,height"])
            .args(["-of", "csv=p=0", s(&mp4)])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&probe.stdout);
        assert_eq!(text.trim(), "320,180,6", "ffprobe: {text}");
    }
    let out = common::faultline_env(&args, &[("PATH", "/nonexistent")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("ffmpeg, which is not on PATH"),
        "{stderr}"
    );
}

#[test]
fn bad_snapshot_input_is_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained(dir.path(), "5", "10");
    let x = dir.path().join("x.npy");
    let line = fails(&[
        "eval",
        s(&model),
        "--size",
        "8",
        "--epoch",
        "-1",
        "--classes",
        s(&x),
    ]);
    assert!(line.contains("--epoch") && line.contains("-1"), "{line}");
    let line = fails(&[
        "eval",
        s(&model),
        "--size",
        "8",
        "--epoch",
        "7",
        "--classes",
        s(&x),
    ]);
    assert!(line.contains("0, 5, 10"), "{line}");
    let missing = dir.path().join("no/such/folder/a.gif");
    let line = fails(&["map", s(&model), "--size", "16", "--animate", s(&missing)]);
    assert!(
        line.contains("--animate") && line.contains("no/such/folder"),
        "{line}"
    );
    let line = fails(&[
        "map",
        s(&model),
        "--size",
        "8",
        "--animate",
        s(&dir.path().join("a.avi")),
    ]);
    assert!(line.contains(".gif"), "{line}");
    let line = fails(&[
        "map",
        s(&model),
        "--size",
        "8",
        "--animate",
        s(&dir.path().join("a.gif")),
        "-o",
        s(&dir.path().join("b.png")),
    ]);
    assert!(line.contains("--animate") && line.contains("-o"), "{line}");
    assert!(!x.exists() && !dir.path().join("a.gif").exists());
    assert!(common::temporaries(dir.path()).is_empty());

    // A hand-edited file: one snapshot tensor of the wrong shape.
    let mut m = faultline_model::io::load(&model).unwrap();
    let layer = &mut m.snapshots[1].1[0];
    layer.outputs -= 1;
    layer.weight.truncate(layer.outputs * layer.inputs);
    layer.bias.pop();
    let edited = dir.path().join("edited.safetensors");
    faultline_model::io::save(&m, &edited).unwrap();
    let line = fails(&["inspect", s(&edited)]);
    assert!(
        line.contains("snapshots.5.layers.0.") && line.contains("shape"),
        "{line}"
    );
}

#[test]
fn the_viewer_plays_the_snapshots() {
    if !common::window_testable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = trained(dir.path(), "10", "50");
    let shot = dir.path().join("played.png");
    let stdout = common::view_under_xvfb(&[
        s(&model),
        "--frames",
        "12",
        "--resolution",
        "96",
        "--screenshot",
        s(&shot),
        "--play",
        "--epoch",
        "0",
    ]);
    // Every frame but the first is drawn while playing (it moves on from the second),
    // at the coarse grid, with the native CPU engine.
    assert!(
        stdout.contains("frames while playing: ")
            && stdout.contains("(grid 96^2)")
            && stdout.contains("field: cpu: native"),
        "{stdout}"
    );
    let image = image::open(&shot).unwrap().to_rgb8();
    let colours: std::collections::HashSet<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    assert!(colours.len() > 200, "{} colours", colours.len());
    let line = fails(&[
        "view",
        "tests/fixtures/seed_233.safetensors",
        "--frames",
        "2",
        "--play",
    ]);
    assert!(
        line.contains("holds no training snapshots") || line.contains("no display"),
        "{line}"
    );
}
