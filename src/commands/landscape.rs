//! Turning the landscape flags into a scene, a camera and view options.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::data_args::load;
use super::grid_args::domain;
use super::plane_args::{PlaneRecord, Sliced, slice};
use crate::cli::LandscapeArgs;
use faultline_model::{Domain, Mlp};
use faultline_render::framing::CameraChoice;
use faultline_render::{Camera, Mode, SampleDots, ViewOptions};

/// The most grid samples per side a landscape may ask for.
const MAX_RESOLUTION: usize = 4096;

/// Neuron `L:J` (or `neuron:L:J`) of `model` as a network of its own ([`Mlp::neuron`]),
/// for `flag`.
pub fn neuron(model: &Mlp, flag: &str, spec: &str) -> Result<Mlp> {
    let parts: Option<Vec<usize>> = spec
        .strip_prefix("neuron:")
        .unwrap_or(spec)
        .split(':')
        .map(|p| p.trim().parse().ok())
        .collect();
    let Some([layer, j]) = parts
        .as_deref()
        .and_then(|p| <[usize; 2]>::try_from(p).ok())
    else {
        bail!("{flag} '{spec}': expected LAYER:NEURON, e.g. 0:3");
    };
    model.neuron(layer, j).map_err(|e| {
        anyhow::anyhow!(
            "{flag} '{spec}': {}",
            e.to_string().trim_start_matches("invalid model: ")
        )
    })
}

/// Reads the mode flag: `all`, `envelope` or `class:K` (`neuron:L:J` is taken apart by
/// [`parse`] first).
pub fn mode(s: &str, classes: usize) -> Result<Mode> {
    Ok(match s {
        "all" => Mode::All,
        "envelope" => Mode::Envelope,
        other => {
            let Some(k) = other.strip_prefix("class:") else {
                bail!("--mode '{other}': expected all, envelope, class:K or neuron:L:J");
            };
            let k: usize = k
                .parse()
                .with_context(|| format!("--mode '{other}': K must be a class number"))?;
            if k >= classes {
                bail!("--mode '{other}': the model has classes 0..{}", classes - 1);
            }
            Mode::Single(k)
        }
    })
}

/// Reads `--camera`: `YAW,PITCH` (degrees; framed to the scene along that direction) or
/// `YAW,PITCH,DISTANCE` (degrees, degrees, world units from the landscape's centre);
/// none for the framed overview.
pub fn camera(s: Option<&str>) -> Result<CameraChoice> {
    let Some(s) = s else {
        return Ok(CameraChoice::Overview);
    };
    let v: Vec<f32> = s
        .split(',')
        .map(|p| p.trim().parse::<f32>())
        .collect::<Result<_, _>>()
        .ok()
        .filter(|v: &Vec<f32>| (2..=3).contains(&v.len()) && v.iter().all(|x| x.is_finite()))
        .with_context(|| {
            format!("--camera '{s}': expected YAW,PITCH or YAW,PITCH,DISTANCE, e.g. -30,-35,3.2")
        })?;
    if v.len() == 2 {
        return Ok(CameraChoice::Along {
            yaw: v[0],
            pitch: v[1].clamp(-89.0, 89.0),
        });
    }
    if v[2] <= 0.0 {
        bail!("--camera '{s}': the distance must be positive");
    }
    Ok(CameraChoice::Fixed(Camera::orbit(
        glam::Vec3::new(0.0, 0.25, 0.0),
        v[0].to_radians(),
        v[1].to_radians(),
        v[2],
    )))
}

/// The landscape flags, validated against the model.
pub struct Parsed {
    /// The model on the plane shown (two inputs).
    pub model: Mlp,
    /// The plane used, for `--plane-out`.
    pub plane: PlaneRecord,
    /// The `--data` samples, placed again whenever the plane moves.
    pub data: Option<SampleDots>,
    /// Whether a hidden neuron is shown (`--mode neuron:L:J`; the viewer's slice controls
    /// then stay off, as moving the slice folds the whole network).
    pub neuron: bool,
    /// The input rectangle shown.
    pub domain: Domain,
    /// Where the camera comes from (framed to the scene unless `--camera` places it).
    pub camera: CameraChoice,
    /// How to draw.
    pub view: ViewOptions,
}

/// Validates the landscape flags against `model`, folding the plane flags into it.
pub fn parse(model: Mlp, model_path: &Path, args: &LandscapeArgs) -> Result<Parsed> {
    let Sliced {
        mlp: model,
        record: plane,
    } = slice(model, model_path, &args.plane, args.domain.as_deref())?;
    // A hidden neuron's surface: the network up to it, its output the one surface.
    let (model, mode_flag, neuron_shown) = match args.mode.strip_prefix("neuron:") {
        Some(_) => (neuron(&model, "--mode", &args.mode)?, "all", true),
        None => (model, args.mode.as_str(), false),
    };
    if !(2..=MAX_RESOLUTION).contains(&args.resolution) {
        bail!(
            "--resolution {}: must be between 2 and {MAX_RESOLUTION}",
            args.resolution
        );
    }
    if !(args.height_scale.is_finite() && args.height_scale > 0.0) {
        bail!("--height-scale must be a positive number");
    }
    let view = ViewOptions {
        mode: mode(mode_flag, model.outputs())?,
        height_scale: args.height_scale,
        crossings: !args.no_crossings,
        labels: !args.no_labels,
        theme: args
            .theme
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--theme: {e}"))?,
        contours: args.contours,
        ..ViewOptions::default()
    };
    let data = match &args.data {
        Some(path) => Some(load(path, args.near, &plane, &model)?.dots()),
        None => None,
    };
    Ok(Parsed {
        neuron: neuron_shown,
        data,
        domain: domain(&model, model_path, args.domain.as_deref())?,
        camera: camera(args.camera.as_deref())?,
        view,
        model,
        plane,
    })
}
