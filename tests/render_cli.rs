//! The landscape: the real window under Xvfb, the demo, labels, samples, hidden neurons,
//! animations and bad input (the reference images are in render_reference.rs).

mod common;

use common::{fails, faultline_env, gpu_available, ok, s};

#[test]
fn the_real_window_under_xvfb_shows_the_landscape() {
    if !common::window_testable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("s.png");
    let stdout = common::view_under_xvfb(&[
        "tests/fixtures/seed_233.safetensors",
        "--frames",
        "20",
        "--resolution",
        "32",
        "--screenshot",
        s(&shot),
    ]);
    assert!(stdout.contains("20 frames"), "{stdout}");
    common::assert_shows_a_landscape(&shot, 200);
}

#[test]
fn bad_input_for_render_and_view() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("v.png");
    let m = "tests/fixtures/seed_233.safetensors";
    let o = s(&png);
    for (args, phrase) in [
        (vec!["render", m, "--width", "0", "-o", o], "at least 1"),
        (
            vec!["render", m, "--mode", "sideways", "-o", o],
            "--mode 'sideways'",
        ),
        (
            vec!["render", m, "--mode", "class:9", "-o", o],
            "classes 0..2",
        ),
        (
            vec!["render", m, "--camera", "1,2,3,4", "-o", o],
            "--camera",
        ),
        (
            vec!["render", m, "--resolution", "1", "-o", o],
            "--resolution",
        ),
    ] {
        let line = fails(&args);
        assert!(line.contains(phrase), "{args:?}: {line}");
        assert!(!png.exists());
    }
    if gpu_available() {
        let line = fails(&["render", m, "--width", "100000", "-o", o]);
        assert!(line.contains("at most"), "{line}");
    }
    let out = faultline_env(
        &["view", m, "--frames", "1"],
        &[("DISPLAY", ""), ("WAYLAND_DISPLAY", "")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("faultline render"), "{stderr}");
}

#[test]
fn a_one_output_model_renders_its_threshold_plane_and_boundary() {
    if !gpu_available() {
        return;
    }
    use faultline_model::{Activation, Domain, Layer, Mlp, ModelMetadata};
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("one.safetensors");
    let layer = Layer {
        inputs: 2,
        outputs: 1,
        weight: vec![1.0, -0.5],
        bias: vec![0.1],
        activation: Activation::Tanh,
    };
    let metadata = ModelMetadata {
        domain: Some(Domain::new([-2.0, 2.0], [-2.0, 2.0]).unwrap()),
        ..Default::default()
    };
    faultline_model::io::save(&Mlp::new(vec![layer], metadata).unwrap(), &model).unwrap();
    let png = dir.path().join("one.png");
    let out = ok(&[
        "render",
        s(&model),
        "--width",
        "480",
        "--height",
        "320",
        "--resolution",
        "32",
        "-o",
        s(&png),
    ]);
    assert!(out.contains("threshold plane"), "{out}");
    common::assert_shows_a_landscape(&png, 50);
    // The decision boundary (where tanh(x - y/2 + 0.1) crosses 0) is drawn dark on the
    // surfaces and the floor; the background and the lit surfaces are far brighter.
    let image = image::open(&png).unwrap().to_rgba8();
    let dark = image
        .pixels()
        .filter(|p| p.0[..3].iter().all(|&v| v < 48))
        .count();
    assert!(dark >= 20, "{dark} boundary pixels");
}

#[test]
fn demo_without_a_display_trains_and_renders_pngs() {
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = faultline_env(
        &["demo", "--dir", s(dir.path())],
        &[("DISPLAY", ""), ("WAYLAND_DISPLAY", "")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("no display: wrote"), "{stdout}");
    assert!(dir.path().join("s1.safetensors").exists());
    // The demo reports the accuracy `train --seed 7` reports on its fresh test set (the
    // README's table), not one on another test set.
    let trained = ok(&[
        "train",
        "--dataset",
        "s1",
        "--seed",
        "7",
        "--quiet",
        "-o",
        s(&dir.path().join("t.safetensors")),
    ]);
    let test = trained
        .split("test ")
        .nth(1)
        .and_then(|t| t.split(" %").next())
        .expect("train reports its test accuracy");
    assert!(
        stdout.contains(&format!("accuracy {test} %")),
        "train: {trained}\ndemo: {stdout}"
    );
    common::assert_shows_a_landscape(&dir.path().join("landscape.png"), 200);
}

#[test]
fn labels_draw_the_legend_and_no_labels_leaves_the_corner_empty() {
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let render = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec![
            "render",
            "tests/fixtures/seed_233.safetensors",
            "--width",
            "640",
            "--height",
            "360",
            "--resolution",
            "32",
            "-o",
            s(&out),
        ];
        args.extend(extra);
        ok(&args);
        image::open(out).unwrap().to_rgb8()
    };
    let labelled = render("labelled.png", &[]);
    let plain = render("plain.png", &["--no-labels"]);
    // The legend's corner (wherever it hides least): the class names' text in the
    // labelled image (many light pixels), none of it without labels.
    let (w, h) = labelled.dimensions();
    let light = |img: &image::RgbImage, (x0, y0): (u32, u32)| {
        (y0..y0 + 60)
            .flat_map(|y| (x0..x0 + 80).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c > 150))
            .count()
    };
    let corners = [(0, 0), (w - 80, 0), (0, h - 60), (w - 80, h - 60)];
    let legend = *corners
        .iter()
        .max_by_key(|&&c| light(&labelled, c))
        .unwrap();
    assert!(
        light(&labelled, legend) > 40,
        "labelled: {} light pixels in the legend corner {legend:?}",
        light(&labelled, legend)
    );
    assert!(
        light(&plain, legend) < 5,
        "--no-labels drew in the legend corner {legend:?}: {} light pixels",
        light(&plain, legend)
    );
}

#[test]
fn iris_demo_without_a_display_shows_a_slice() {
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = faultline_env(
        &["demo", "iris", "--dir", s(dir.path())],
        &[("DISPLAY", ""), ("WAYLAND_DISPLAY", "")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("trained 4-32-32-3") && stdout.contains("no display: wrote"),
        "{stdout}"
    );
    assert!(
        stderr.contains("note: petal_length and petal_width as the axes"),
        "{stderr}"
    );
    common::assert_shows_a_landscape(&dir.path().join("iris-landscape.png"), 200);
    let map = image::open(dir.path().join("iris-map.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(map.dimensions(), (768, 768));
    // Sample dots: their dark outlines.
    let outline = map.pixels().filter(|p| p.0 == [25, 25, 25]).count();
    assert!(outline > 500, "{outline} outline pixels");
    let line = fails(&["demo", "nope", "--dir", s(dir.path())]);
    assert!(line.contains("expected s1, iris or training"), "{line}");
}

#[test]
fn the_window_sweeps_a_slice_of_a_wider_model() {
    if !common::window_testable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("iris.safetensors");
    ok(&[
        "train",
        "--dataset",
        "csv:data/iris.csv",
        "--hidden",
        "32,32",
        "--activation",
        "relu",
        "--output-activation",
        "softmax",
        "--epochs",
        "20",
        "--quiet",
        "-o",
        s(&model),
    ]);
    let shot = dir.path().join("slice.png");
    let stdout = common::view_under_xvfb(&[
        s(&model),
        "--axes",
        "petal_length,petal_width",
        "--frames",
        "8",
        "--sweep-slice",
        "--resolution",
        "64",
        "--screenshot",
        s(&shot),
        "--data",
        "data/iris.csv",
        "--near",
        "2",
    ]);
    assert!(
        stdout.contains("slice moves while dragging: 6 to the new picture (64^2)")
            && stdout.contains("slice moves on release: 1")
            && stdout.contains("field: cpu: native"),
        "{stdout}"
    );
    common::assert_shows_a_landscape(&shot, 200);
    let line = fails(&[
        "view",
        "tests/fixtures/seed_233.safetensors",
        "--frames",
        "2",
        "--sweep-slice",
    ]);
    assert!(
        line.contains("--sweep-slice needs") || line.contains("no display"),
        "{line}"
    );
}

#[test]
fn render_draws_the_samples_on_the_surfaces() {
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("iris.safetensors");
    ok(&[
        "train",
        "--dataset",
        "csv:data/iris.csv",
        "--hidden",
        "16",
        "--activation",
        "relu",
        "--output-activation",
        "softmax",
        "--epochs",
        "20",
        "--quiet",
        "-o",
        s(&model),
    ]);
    let render = |name: &str, extra: &[&str]| {
        let png = dir.path().join(name);
        let mut args = vec![
            "render",
            s(&model),
            "--pca",
            "data/iris.csv",
            "--width",
            "480",
            "--height",
            "270",
            "--resolution",
            "64",
            "-o",
            s(&png),
        ];
        args.extend_from_slice(extra);
        (ok(&args), image::open(&png).unwrap().to_rgb8())
    };
    let (_, plain) = render("plain.png", &[]);
    let (out, dotted) = render("dots.png", &["--data", "data/iris.csv", "--near", "5"]);
    assert!(out.contains("150 samples drawn on the surfaces"), "{out}");
    let differ = plain
        .pixels()
        .zip(dotted.pixels())
        .filter(|(a, b)| a.0.iter().zip(b.0).any(|(x, y)| x.abs_diff(y) > 40))
        .count();
    assert!(differ > 300, "{differ} pixels changed by the dots");
    let (out, _) = render("none.png", &["--data", "data/iris.csv", "--near", "0"]);
    assert!(out.contains("0 samples drawn"), "{out}");
}

#[test]
fn a_hidden_neuron_as_the_landscape() {
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("neuron.png");
    let out = ok(&[
        "render",
        "tests/fixtures/seed_233.safetensors",
        "--mode",
        "neuron:0:1",
        "--width",
        "320",
        "--height",
        "180",
        "--resolution",
        "64",
        "-o",
        s(&png),
    ]);
    assert!(out.contains("1 surface and its threshold plane"), "{out}");
    common::assert_shows_a_landscape(&png, 50);
    let line = fails(&[
        "render",
        "tests/fixtures/seed_233.safetensors",
        "--mode",
        "neuron:9:0",
        "-o",
        s(&dir.path().join("never.png")),
    ]);
    assert!(line.contains("--mode 'neuron:9:0': no layer 9"), "{line}");
    assert!(!dir.path().join("never.png").exists());
}

#[test]
fn training_demo_writes_its_animations() {
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = faultline_env(
        &["demo", "training", "--dir", s(dir.path())],
        &[("DISPLAY", ""), ("WAYLAND_DISPLAY", "")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("21 frames of 384x384") && stdout.contains("21 landscapes of 640x360"),
        "{stdout}"
    );
    let file = std::fs::File::open(dir.path().join("training-landscape.png")).unwrap();
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    assert_eq!(
        reader.info().animation_control.map(|a| a.num_frames),
        Some(21)
    );
    let file = std::fs::File::open(dir.path().join("training-map.gif")).unwrap();
    let mut decoder = gif::DecodeOptions::new().read_info(file).unwrap();
    let mut frames = 0;
    while decoder.read_next_frame().unwrap().is_some() {
        frames += 1;
    }
    assert_eq!(frames, 21, "training-map.gif");
}
