//! `faultline demo`: train the paper's network on S1, then show it.

use anyhow::{Context, Result};

use super::view::{display_available, open, save_png};
use crate::cli::{DemoArgs, LandscapeArgs};
use faultline_gpu::GpuContext;
use faultline_render::{Camera, LandscapeRenderer, Scene, ViewOptions, render_rgba};
use faultline_train::{PaperSet, TrainConfig};

pub fn run(args: DemoArgs) -> Result<()> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("faultline-demo"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let config = TrainConfig {
        seed: 7,
        ..TrainConfig::default()
    };
    println!("training the paper's 2-3-3 sigmoid network on S1 (seed 7)...");
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
    println!(
        "trained in {:.1} s: accuracy {:.2} % on 2000 fresh test samples (the test set of `faultline train --dataset s1 --seed 7`); model {}",
        report.seconds,
        report.test_accuracies[0].1 * 100.0,
        model_path.display()
    );

    let landscape = LandscapeArgs {
        mode: "all".into(),
        resolution: 256,
        height_scale: 0.8,
        camera: None,
        domain: None,
        no_crossings: false,
        no_labels: false,
        plane: Default::default(),
    };
    if display_available() {
        println!("opening the viewer (W/A/S/D to fly, drag to look, M for modes, Esc to quit)");
        return open(report.model, &model_path, &landscape, args.frames, None);
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
    for (name, camera) in [
        ("landscape.png", Camera::overview()),
        (
            "landscape-side.png",
            Camera::orbit(glam::Vec3::new(0.0, 0.3, 0.0), 0.9, -0.3, 2.9),
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
    println!(
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
