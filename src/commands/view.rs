//! `faultline view`: the window.

use std::path::Path;

use anyhow::{Result, bail};
use image::ImageEncoder;

use super::landscape::parse;
use crate::cli::{LandscapeArgs, ViewArgs};
use crate::output::{png_path, prepare_one};
use faultline_model::Mlp;
use faultline_viewer::ViewerOptions;

/// Whether a display server is reachable by the usual variables.
pub fn display_available() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY", "WAYLAND_SOCKET"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Writes RGBA8 rows as a PNG, atomically.
pub fn save_png(path: &Path, pixels: &[u8], width: u32, height: u32) -> Result<(), String> {
    faultline_model::io::write_atomically(path, |w| {
        image::codecs::png::PngEncoder::new(w)
            .write_image(pixels, width, height, image::ExtendedColorType::Rgba8)
            .map_err(std::io::Error::other)
    })
    .map_err(|e| e.to_string())
}

/// How a run of the window ends: after `frames` (saving `screenshot`), sweeping the slice.
#[derive(Debug, Clone, Copy, Default)]
pub struct Run<'a> {
    /// Draw this many frames, then exit.
    pub frames: Option<u64>,
    /// Save the last frame here.
    pub screenshot: Option<&'a Path>,
    /// Move the slice one step a frame ([`ViewerOptions::sweep_slice`]).
    pub sweep_slice: bool,
    /// Start playing the training snapshots.
    pub play: bool,
    /// Zoom 2x around this point on every frame ([`ViewerOptions::sweep_zoom`]).
    pub sweep_zoom: Option<[f64; 2]>,
}

/// Opens the viewer on `model`.
/// Opens the viewer on `model`, with playback of `snapshots` (the model with its training
/// snapshots and the epoch to start at) where given.
pub fn open(
    model: Mlp,
    snapshots: Option<super::WithSnapshots>,
    model_path: &Path,
    args: &LandscapeArgs,
    run: Run,
) -> Result<()> {
    let Run {
        frames,
        screenshot,
        sweep_slice,
        play,
        sweep_zoom,
    } = run;
    if sweep_zoom.is_some() && frames.is_none() {
        bail!("--sweep-zoom needs --frames");
    }

    if !display_available() {
        bail!(
            "no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); use `faultline render {} -o view.png` for an image",
            model_path.display()
        );
    }
    if frames == Some(0) {
        bail!("--frames must be at least 1");
    }
    let parsed = parse(model, model_path, args)?;
    let slice = parsed.plane.live(&parsed.domain).filter(|_| !parsed.neuron);
    if sweep_slice && (frames.is_none() || slice.is_none()) {
        bail!(
            "--sweep-slice needs --frames and a model shown on a plane (more than 2 inputs, or a plane flag)"
        );
    }
    if play && snapshots.is_none() {
        bail!(
            "--play: {} holds no training snapshots (train with --snapshot-every K)",
            model_path.display()
        );
    }
    parsed.plane.finish(&parsed.domain)?;
    let playback = snapshots.and_then(|(m, epoch)| {
        let mut p = faultline_viewer::Playback::new(m, epoch)?;
        if play {
            p.toggle();
        }
        Some(p)
    });
    let name = model_path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parsed_domain = parsed.domain;
    let report = faultline_viewer::run(ViewerOptions {
        camera: parsed.camera,
        model: parsed.model,
        slice,
        data: parsed.data,
        name,
        domain: parsed.domain,
        resolution: args.resolution,
        view: parsed.view,
        frames,
        sweep_slice,
        sweep_zoom,
        playback,
        screenshot: screenshot.map(Path::to_path_buf),
        save_png: Box::new(save_png),
    })?;
    for (dragging, what) in [(true, "while dragging"), (false, "on release")] {
        let mut ms: Vec<f64> = report
            .slice_seconds
            .iter()
            .filter(|(_, d)| *d == dragging)
            .map(|(s, _)| s * 1e3)
            .collect();
        if ms.is_empty() {
            continue;
        }
        ms.sort_by(f64::total_cmp);
        let side = if dragging {
            args.resolution.min(faultline_viewer::DRAGGING_RESOLUTION)
        } else {
            args.resolution
        };
        say!(
            "slice moves {what}: {} to the new picture ({side}^2), median {:.1} ms, slowest {:.1} ms",
            ms.len(),
            ms[ms.len() / 2],
            ms[ms.len() - 1],
        );
    }
    if !report.zoom_seconds.is_empty() {
        let mut ms: Vec<f64> = report.zoom_seconds.iter().map(|s| s * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let domain = report.final_domain.unwrap_or(parsed_domain);
        say!(
            "zoomed {} times to x{:.4e} of the whole domain ({}^2 each): median {:.1} ms to the picture, slowest {:.1} ms; now --domain {},{},{},{}",
            ms.len(),
            ((parsed_domain.x[1] - parsed_domain.x[0]) / (domain.x[1] - domain.x[0]))
                .max((parsed_domain.y[1] - parsed_domain.y[0]) / (domain.y[1] - domain.y[0])),
            args.resolution,
            ms[ms.len() / 2],
            ms[ms.len() - 1],
            domain.x[0],
            domain.x[1],
            domain.y[0],
            domain.y[1],
        );
    }
    let mut playing: Vec<f64> = report
        .playing_frame_seconds
        .iter()
        .map(|s| s * 1e3)
        .collect();
    if !playing.is_empty() {
        playing.sort_by(f64::total_cmp);
        let median = playing[playing.len() / 2];
        say!(
            "frames while playing: {} (grid {}^2), median {median:.1} ms ({:.1} per second), slowest {:.1} ms",
            playing.len(),
            args.resolution.min(faultline_viewer::DRAGGING_RESOLUTION),
            1e3 / median.max(1e-9),
            playing[playing.len() - 1],
        );
    }
    say!(
        "{} frames on {} (field: {}), {:.1} ms per frame{}",
        report.frames,
        report.adapter,
        report.engine,
        report.mean_frame_seconds * 1e3,
        if report.screenshots.is_empty() {
            String::new()
        } else {
            format!(
                "; screenshots: {}",
                report
                    .screenshots
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    Ok(())
}

pub fn run(args: ViewArgs) -> Result<()> {
    if let Some(path) = &args.screenshot {
        png_path("--screenshot", path)?;
        // Proves the folder writable now; each screenshot is written atomically later.
        drop(prepare_one(
            "--screenshot",
            path,
            &[("the model", &args.model)],
        )?);
    }
    let (model, snapshots) = super::load_for_playback(&args.model)?;
    open(
        model,
        snapshots,
        &args.model,
        &args.landscape,
        Run {
            frames: args.frames,
            screenshot: args.screenshot.as_deref(),
            sweep_slice: args.sweep_slice,
            play: args.play,
            sweep_zoom: match &args.sweep_zoom {
                Some(s) => Some(super::parse_point("--sweep-zoom", s)?),
                None => None,
            },
        },
    )
}
