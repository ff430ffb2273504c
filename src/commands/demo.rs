//! `faultline demo`: train the paper's network on S1, then show it.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::view::{Run, display_available, open, save_png};
use crate::cli::{Backend, DemoArgs, LandscapeArgs, MapArgs, PlaneArgs, RenderArgs, TrainArgs};
use faultline_gpu::GpuContext;
use faultline_render::{LandscapeRenderer, Scene, ViewOptions, framing, render_rgba};
use faultline_train::{PaperSet, TrainConfig};

/// Fisher's iris data (150 samples, 4 features, 3 species; public domain).
const IRIS_CSV: &str = include_str!("../../data/iris.csv");

pub fn run(args: DemoArgs) -> Result<()> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("faultline-demo"));
    match args.which.as_str() {
        "s1" => {}
        "iris" => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            return iris(&dir, args.frames);
        }
        "training" => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            return training(&dir, args.frames);
        }
        other => bail!("demo '{other}': expected s1, iris or training"),
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let config = TrainConfig {
        seed: 7,
        ..TrainConfig::default()
    };
    say!("training the paper's 2-3-3 sigmoid network on S1 (seed 7)...");
    let train = PaperSet::S1.generate(4000, faultline_train::DEFAULT_MARGIN, 7)?;
    let test = PaperSet::S1.generate(
        2000,
        faultline_train::DEFAULT_MARGIN,
        faultline_train::test_seed(7),
    )?;
    let report = faultline_train::train(
        &train,
        &[("test", &test)],
        &config,
        Default::default(),
        |_, _| {},
    )?;
    let model_path = dir.join("s1.safetensors");
    faultline_model::io::save(&report.model, &model_path)?;
    say!(
        "trained in {:.1} s: accuracy {:.2} % on 2000 fresh test samples (the test set of `faultline train --dataset s1 --seed 7`); model {}",
        report.seconds,
        report.test_accuracies[0].1 * 100.0,
        model_path.display()
    );
    // What the network learned, told before it is shown.
    let domain = report
        .model
        .metadata
        .domain
        .context("the S1 model has a domain")?;
    let analysis = faultline_analysis::analyze(
        &report.model,
        &faultline_model::GridSpec::new(domain, 512, 512)?,
    );
    say!("what it learned (`faultline analyze` on 512^2):");
    for line in faultline_analysis::table(&analysis).lines() {
        say!("  {line}");
    }

    let landscape = landscape(256);
    if display_available() {
        say!("opening the viewer (W/A/S/D to fly, drag to look, M for modes, Esc to quit)");
        let run = Run {
            frames: args.frames,
            ..Run::default()
        };
        return open(report.model, None, &model_path, &landscape, run);
    }
    let ctx = GpuContext::new().context("the demo draws with a GPU adapter (lavapipe works)")?;
    let domain = report
        .model
        .metadata
        .domain
        .context("the S1 model has a domain")?;
    let scene = Scene::new(&ctx, &report.model, domain, 256)?;
    let mut renderer = LandscapeRenderer::new(&ctx.device, wgpu::TextureFormat::Rgba8UnormSrgb);
    let (width, height) = (1280, 720);
    let mut written = Vec::new();
    let aspect = width as f32 / height as f32;
    let height_scale = ViewOptions::default().height_scale;
    for (name, camera) in [
        (
            "landscape.png",
            framing::overview(&scene, aspect, height_scale),
        ),
        (
            "landscape-side.png",
            framing::side_view(&scene, aspect, height_scale),
        ),
    ] {
        let pixels = render_rgba(
            &ctx,
            &mut renderer,
            &scene,
            (width, height),
            &camera,
            &ViewOptions::default(),
        )?;
        let path = dir.join(name);
        save_png(&path, &pixels, width, height).map_err(anyhow::Error::msg)?;
        written.push(path);
    }
    say!(
        "no display: wrote {} (use `faultline view {}` where there is one)",
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        model_path.display()
    );
    Ok(())
}

/// `demo iris`: trains a 4-32-32-3 relu network on Fisher's iris with `train`'s own code,
/// then shows the slice through petal length and width at the data's mean (the viewer, or
/// a landscape and a map with the samples drawn when there is no display).
fn iris(dir: &Path, frames: Option<u64>) -> Result<()> {
    let data = dir.join("iris.csv");
    faultline_model::io::write_atomically(&data, |w| {
        std::io::Write::write_all(w, IRIS_CSV.as_bytes())
    })?;
    let model_path = dir.join("iris.safetensors");
    say!("training a 4-32-32-3 relu network on Fisher's iris (150 samples, seed 1)...");
    super::train::run(TrainArgs {
        hidden: vec![32, 32],
        activation: "relu".into(),
        output_activation: "softmax".into(),
        seed: 1,
        ..train_args(&format!("csv:{}", data.display()), &model_path)
    })?;
    let plane = PlaneArgs {
        axes: Some("petal_length,petal_width".into()),
        ..PlaneArgs::default()
    };
    let landscape = LandscapeArgs {
        plane: plane.clone(),
        data: Some(data.clone()),
        near: Some(1.0),
        ..landscape(256)
    };
    if display_available() {
        say!("opening the viewer on the slice through petal length and width (Esc to quit)");
        let model = super::load_model(&model_path)?;
        let run = Run {
            frames,
            ..Run::default()
        };
        return open(model, None, &model_path, &landscape, run);
    }
    let landscape_png = dir.join("iris-landscape.png");
    super::render::run(RenderArgs {
        model: model_path.clone(),
        width: 1280,
        height: 720,
        output: Some(landscape_png.clone()),
        animate: None,
        landscape,
    })?;
    let map_png = dir.join("iris-map.png");
    super::map::run(MapArgs {
        model: model_path.clone(),
        size: "768".into(),
        domain: None,
        crossings: false,
        backend: Backend::Auto,
        output: Some(map_png.clone()),
        quiet: true,
        plane,
        data: Some(data),
        near: Some(1.0),
        neuron: None,
        title: None,
        figure: false,
        dpi: 96.0,
        inches: None,
        animate: None,
        zarr: None,
        part: None,
        pyramid: false,
    })?;
    say!(
        "no display: wrote {} and {} (use `faultline view {} --axes petal_length,petal_width` where there is one)",
        landscape_png.display(),
        map_png.display(),
        model_path.display()
    );
    Ok(())
}

/// `demo training`: the paper's 2-3-3 sigmoid network learning S2 (seed 7, 200 epochs, a
/// snapshot every 10), as two animated PNGs: the class map and the landscape per snapshot.
/// With a display the viewer then opens on the trained network.
fn training(dir: &Path, frames: Option<u64>) -> Result<()> {
    let model_path = dir.join("training.safetensors");
    say!(
        "training the paper's 2-3-3 sigmoid network on S2 (seed 7), a snapshot every 10 epochs..."
    );
    super::train::run(TrainArgs {
        seed: 7,
        snapshot_every: Some(10),
        ..train_args("s2", &model_path)
    })?;
    let plain_landscape = landscape(128);
    let map_png = dir.join("training-map.gif");
    super::map::run(MapArgs {
        model: model_path.clone(),
        size: "384".into(),
        domain: None,
        crossings: true,
        backend: Backend::Auto,
        output: None,
        quiet: true,
        plane: PlaneArgs::default(),
        data: None,
        near: None,
        neuron: None,
        title: None,
        figure: false,
        dpi: 96.0,
        inches: None,
        animate: Some(map_png.clone()),
        zarr: None,
        part: None,
        pyramid: false,
    })?;
    let landscape_png = dir.join("training-landscape.png");
    super::render::run(RenderArgs {
        model: model_path.clone(),
        width: 640,
        height: 360,
        output: None,
        animate: Some(landscape_png.clone()),
        landscape: plain_landscape.clone(),
    })?;
    say!(
        "see {} and {} (a GIF and an animated PNG; `faultline inspect {}` lists each snapshot's loss and accuracy)",
        map_png.display(),
        landscape_png.display(),
        model_path.display()
    );
    if display_available() {
        say!("opening the viewer, playing the training (space: pause, `,`/`.`: step)");
        let (model, snapshots) = super::load_for_playback(&model_path)?;
        let run = Run {
            frames,
            play: true,
            ..Run::default()
        };
        return open(model, snapshots, &model_path, &plain_landscape, run);
    }
    Ok(())
}

/// The landscape flags' defaults at `resolution` samples per side (what `render` and
/// `view` take without flags).
fn landscape(resolution: usize) -> LandscapeArgs {
    LandscapeArgs {
        mode: "all".into(),
        resolution,
        height_scale: 0.8,
        camera: None,
        domain: None,
        no_crossings: false,
        no_labels: false,
        theme: "dark".into(),
        contours: 0,
        plane: PlaneArgs::default(),
        data: None,
        near: None,
    }
}

/// `train`'s defaults (the paper's 2-3-3 sigmoid net, 200 epochs, seed 0) for `dataset`,
/// written quietly to `output`.
fn train_args(dataset: &str, output: &Path) -> TrainArgs {
    TrainArgs {
        dataset: dataset.into(),
        hidden: vec![3],
        activation: "sigmoid".into(),
        output_activation: "sigmoid".into(),
        epochs: 200,
        seed: 0,
        margin: faultline_train::DEFAULT_MARGIN,
        samples: 4000,
        label: None,
        batch_size: 32,
        lr: 0.02,
        output: output.to_path_buf(),
        quiet: true,
        snapshot_every: None,
    }
}
