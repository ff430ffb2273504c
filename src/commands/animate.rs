//! `map --animate`: every training snapshot as a frame of an animated PNG, captioned with
//! its epoch, loss and accuracies.

use std::time::Instant;

use anyhow::{Result, bail};

use super::backend::engine;
use super::grid_args::grid;
use super::plane_args::slice;
use crate::cli::MapArgs;
use crate::output::{png_path, prepare_one};
use faultline_model::GridRequest;
use faultline_render::text::Text;
use faultline_render::{MapStyle, compose_map};

/// The largest frame an animation holds (frames are kept in memory until written).
const MAX_FRAME_POINTS: usize = 2048 * 2048;

/// Frames per second of the animation.
pub const FPS: u16 = 4;

pub fn map(args: &MapArgs) -> Result<()> {
    png_path("-o", &args.output)?;
    if args.data.is_some() || args.neuron.is_some() || args.title.is_some() {
        bail!(
            "--animate draws the class map of each snapshot; leave out --data, --neuron and --title"
        );
    }
    let model = snapshotted(&args.model)?;
    let records = records(&model);
    let output = prepare_one("-o", &args.output, &[("the model", &args.model)])?;
    let started = Instant::now();
    let text = Text::new();
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
        draw_caption(
            &text,
            &mut frame,
            g.width,
            g.height,
            &epoch_caption(&records, *epoch),
        );
        (width, height) = (g.width, g.height);
        frames.push(frame);
    }
    output.write(|out| write_apng(out, width, height, &frames))?;
    say!(
        "wrote {} (an animated PNG: {} frames of {width}x{height}, epochs {}, {FPS} per second, made in {:.2} s)",
        args.output.display(),
        frames.len(),
        model
            .snapshots
            .iter()
            .map(|(e, _)| e.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The model at `path` with its training snapshots, refused when it has none.
pub fn snapshotted(path: &std::path::Path) -> Result<faultline_model::Mlp> {
    let model = super::load_with_snapshots(path)?;
    if model.snapshots.is_empty() {
        bail!(
            "--animate: {} holds no training snapshots (train with --snapshot-every K)",
            path.display()
        );
    }
    Ok(model)
}

/// The caption of `epoch`'s frame, with its figures from `records` when they are there.
pub fn epoch_caption(records: &[serde_json::Value], epoch: usize) -> String {
    let record = records
        .iter()
        .find(|r| r["epoch"].as_u64() == Some(epoch as u64));
    caption(epoch, record)
}

/// The `snapshots` metadata: one record per snapshot.
pub fn records(model: &faultline_model::Mlp) -> Vec<serde_json::Value> {
    model
        .metadata
        .extra
        .get("snapshots")
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

/// Draws `caption` in the top-left corner of the RGB8 `frame` on a light box, so it reads
/// on any colour.
pub fn draw_caption(text: &Text, frame: &mut [u8], width: usize, height: usize, caption: &str) {
    let px = (height as f32 / 24.0).clamp(11.0, 28.0);
    let box_w = (text.width(px, caption) + px) as usize;
    let box_h = (px * 1.6) as usize;
    for y in 0..box_h.min(height) {
        for x in 0..box_w.min(width) {
            let i = (y * width + x) * 3;
            for c in &mut frame[i..i + 3] {
                *c = ((u16::from(*c) + 3 * 255) / 4) as u8;
            }
        }
    }
    text.draw(
        frame,
        width,
        height,
        (px * 0.5, px * 0.25),
        px,
        [20, 20, 20],
        caption,
    );
}

/// RGB8 `frames` of `width x height` as an animated PNG, [`FPS`] frames a second, looping.
pub fn write_apng(
    out: &mut impl std::io::Write,
    width: usize,
    height: usize,
    frames: &[Vec<u8>],
) -> std::io::Result<()> {
    let mut encoder = png::Encoder::new(out, width as u32, height as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .set_animated(frames.len() as u32, 0)
        .and_then(|()| encoder.set_frame_delay(1, FPS))
        .map_err(std::io::Error::other)?;
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    for frame in frames {
        writer
            .write_image_data(frame)
            .map_err(std::io::Error::other)?;
    }
    writer.finish().map_err(std::io::Error::other)
}

/// `epoch 20 · loss 0.2192 · train 93.8 % · test 93.9 %`.
fn caption(epoch: usize, record: Option<&serde_json::Value>) -> String {
    let mut parts = vec![format!("epoch {epoch}")];
    if let Some(r) = record {
        if let Some(loss) = r["loss"].as_f64() {
            parts.push(format!("loss {loss:.4}"));
        }
        for (key, name) in [("train_accuracy", "train"), ("test_accuracy", "test")] {
            if let Some(v) = r[key].as_f64() {
                parts.push(format!("{name} {:.1} %", 100.0 * v));
            }
        }
    }
    parts.join("  ·  ")
}
