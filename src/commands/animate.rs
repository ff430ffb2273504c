//! `map --animate OUT` and `render --animate OUT`: every training snapshot as a frame,
//! captioned with its epoch, loss and accuracies, written as the format OUT's extension
//! names ([`super::animation`]).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use super::animation::{self, FPS, Format};
use super::backend::engine;
use super::grid_args::grid;
use super::landscape::parse;
use super::plane_args::slice;
use super::render::OFFSCREEN_FORMAT;
use crate::cli::{MapArgs, RenderArgs};
use crate::output::prepare_one;
use faultline_gpu::GpuContext;
use faultline_model::{GridRequest, Mlp};
use faultline_render::text::Text;
use faultline_render::{LandscapeRenderer, MapStyle, Scene, SceneEngine, compose_map, render_rgba};

/// The largest map frame an animation holds (frames are kept in memory until written).
const MAX_FRAME_POINTS: usize = 2048 * 2048;

/// The most bytes of frames an animation holds.
const MAX_FRAME_BYTES: f64 = 2e9;

/// `map --animate OUT`: the class map of every snapshot.
pub fn map(args: &MapArgs, path: &Path) -> Result<()> {
    if args.data.is_some() || args.neuron.is_some() || args.title.is_some() {
        bail!(
            "--animate draws the class map of each snapshot; leave out --data, --neuron and --title"
        );
    }
    let format = Format::of(path)?;
    let model = snapshotted(&args.model)?;
    let output = prepare_one("--animate", path, &[("the model", &args.model)])?;
    let started = Instant::now();
    let captions = Captions::of(&model);
    let bar = progress(model.snapshots.len(), args.quiet);
    let mut frames = Vec::new();
    let (mut width, mut height) = (0, 0);
    for (epoch, _) in &model.snapshots {
        let at = model.at_epoch(*epoch)?;
        let sliced = slice(at, &args.model, &args.plane, args.domain.as_deref())?;
        let g = grid(&sliced.mlp, &args.model, &args.size, args.domain.as_deref())?;
        if g.points() > MAX_FRAME_POINTS {
            bail!(
                "--size {}x{}: animation frames are at most 2048^2",
                g.width,
                g.height
            );
        }
        let flags = engine(args.backend, &sliced.mlp)?
            .evaluate(&g, &GridRequest::flags(), &mut |_| {})?
            .flags
            .unwrap_or_default();
        let mut frame = compose_map(
            &flags,
            g.width,
            g.height,
            MapStyle {
                crossings: args.crossings,
            },
        );
        captions.draw(&mut frame, g.width, g.height, *epoch);
        (width, height) = (g.width, g.height);
        frames.push(frame);
        bar.inc(1);
    }
    bar.finish_and_clear();
    output.write(|out| animation::write(&format, out, width, height, &frames))?;
    say!(
        "wrote {} ({}: {} frames of {width}x{height}, epochs {}, {FPS} per second, made in {:.2} s)",
        path.display(),
        format.describe(),
        frames.len(),
        epochs(&model),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `render --animate OUT`: the landscape of every snapshot, each evaluated with the native
/// CPU engine (no shader compiled per snapshot) and drawn as `render` draws it.
pub fn render(args: &RenderArgs, path: &Path) -> Result<()> {
    let format = Format::of(path)?;
    let model = snapshotted(&args.model)?;
    let (w, h) = (args.width as usize, args.height as usize);
    let bytes = model.snapshots.len() as f64 * (w * h * 3) as f64;
    if bytes > MAX_FRAME_BYTES {
        bail!(
            "--animate: {} frames of {w}x{h} would hold {:.1} GB; pass a smaller --width/--height",
            model.snapshots.len(),
            bytes / 1e9
        );
    }
    let output = prepare_one("--animate", path, &[("the model", &args.model)])?;
    let ctx = GpuContext::new().context("render needs a GPU adapter (lavapipe works)")?;
    let captions = Captions::of(&model);
    let mut renderer = LandscapeRenderer::new(&ctx.device, OFFSCREEN_FORMAT);
    let started = Instant::now();
    let bar = progress(model.snapshots.len(), false);
    let mut frames = Vec::new();
    // One camera for every frame, framed to the trained network's landscape.
    let last = parse(model.clone(), &args.model, &args.landscape)?;
    let camera = last.camera.resolve(
        &Scene::evaluate(
            &ctx,
            &SceneEngine::on_cpu(&last.model)?,
            &last.model,
            last.domain,
            args.landscape.resolution.min(64),
        )?,
        w as f32 / h as f32,
        last.view.height_scale,
    );
    for (epoch, _) in &model.snapshots {
        let landscape = parse(model.at_epoch(*epoch)?, &args.model, &args.landscape)?;
        let engine = SceneEngine::on_cpu(&landscape.model)?;
        let scene = Scene::evaluate(
            &ctx,
            &engine,
            &landscape.model,
            landscape.domain,
            args.landscape.resolution,
        )?;
        let rgba = render_rgba(
            &ctx,
            &mut renderer,
            &scene,
            (args.width, args.height),
            &camera,
            &landscape.view,
        )?;
        let mut rgb: Vec<u8> = rgba.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        captions.draw(&mut rgb, w, h, *epoch);
        frames.push(rgb);
        bar.inc(1);
    }
    bar.finish_and_clear();
    output.write(|out| animation::write(&format, out, w, h, &frames))?;
    say!(
        "wrote {} ({}: {} landscapes of {w}x{h}, epochs {}, {FPS} per second, drawn on {} in {:.1} s)",
        path.display(),
        format.describe(),
        frames.len(),
        epochs(&model),
        ctx.describe(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A progress bar over `frames` frames on stderr (drawn only on a terminal).
fn progress(frames: usize, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(frames as u64);
    bar.set_style(
        ProgressStyle::with_template("frames {bar:30} {pos}/{len}  {elapsed}")
            .expect("valid template"),
    );
    bar
}

/// `0, 10, 20`.
fn epochs(model: &Mlp) -> String {
    model
        .snapshots
        .iter()
        .map(|(e, _)| e.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The model at `path` with its training snapshots, refused when it has none.
pub fn snapshotted(path: &Path) -> Result<Mlp> {
    let model = super::load_with_snapshots(path)?;
    if model.snapshots.is_empty() {
        bail!(
            "--animate: {} holds no training snapshots (train with --snapshot-every K)",
            path.display()
        );
    }
    Ok(model)
}

/// Each snapshot's caption (epoch, loss, accuracies) and the font to draw it with.
pub struct Captions {
    metadata: faultline_model::ModelMetadata,
    text: Text,
}

impl Captions {
    /// The captions of `model`'s `snapshots` metadata.
    pub fn of(model: &Mlp) -> Captions {
        Captions {
            metadata: model.metadata.clone(),
            text: Text::new(),
        }
    }

    /// Draws `epoch`'s caption ([`SnapshotRecord::caption`]) in the top-left corner of the
    /// RGB8 `frame` on a light box, so it reads on any colour.
    ///
    /// [`SnapshotRecord::caption`]: faultline_model::metadata::SnapshotRecord::caption
    pub fn draw(&self, frame: &mut [u8], width: usize, height: usize, epoch: usize) {
        let caption = self.metadata.snapshot_record(epoch).caption();
        let px = (height as f32 / 24.0).clamp(11.0, 28.0);
        let box_w = (self.text.width(px, &caption) + px) as usize;
        let box_h = (px * 1.6) as usize;
        for y in 0..box_h.min(height) {
            for x in 0..box_w.min(width) {
                let i = (y * width + x) * 3;
                for c in &mut frame[i..i + 3] {
                    *c = ((u16::from(*c) + 3 * 255) / 4) as u8;
                }
            }
        }
        self.text.draw(
            frame,
            width,
            height,
            (px * 0.5, px * 0.25),
            px,
            [20, 20, 20],
            &caption,
        );
    }
}
