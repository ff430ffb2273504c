//! One module per subcommand.

mod analyze;
mod animate;
mod animation;
mod backend;
mod bench;
mod convert;
mod data_args;
mod demo;
mod eval;
mod export;
mod grid_args;
mod inspect;
mod landscape;
mod map;
mod map_svg;
mod map_zarr;
mod neurons;
mod plane_args;
mod render;
mod train;
mod view;
mod zarr_store;

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, Command};
use faultline_model::Mlp;
use faultline_model::io::LoadOptions;

/// How every command reads model files (the global `--activations`).
static LOAD_OPTIONS: OnceLock<LoadOptions> = OnceLock::new();

/// The global `--epoch`: which snapshot of a model's training to use.
static EPOCH: OnceLock<Option<usize>> = OnceLock::new();

/// A model as read, whatever its file was.
pub struct Model {
    /// The network.
    pub mlp: Mlp,
    /// What the file was, for `inspect` and `convert`.
    pub format: String,
    /// Whether the activations came from `--activations`.
    pub activations_given: bool,
}

/// Reads a model file as the command line says (`--activations`): safetensors (our
/// layout or a PyTorch state dict) or ONNX, told apart by content.
pub fn load(path: &Path) -> Result<Model> {
    let options = LOAD_OPTIONS.get_or_init(LoadOptions::default);
    let bytes = faultline_model::io::read_regular_file(path).ok();
    let is_onnx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
        || bytes
            .as_deref()
            .is_some_and(faultline_import::onnx::looks_like_onnx);
    if let (true, Some(bytes)) = (is_onnx, &bytes) {
        let imported = faultline_import::onnx::from_bytes(bytes).map_err(|e| e.in_file(path))?;
        return Ok(Model {
            mlp: imported.mlp,
            format: imported.describe,
            activations_given: false,
        });
    }
    let loaded = faultline_model::io::load_with(path, options)?;
    Ok(Model {
        format: loaded.layout.describe(),
        mlp: loaded.mlp,
        activations_given: loaded.activations_given,
    })
}

/// [`load`], the model alone, with its snapshots (whatever `--epoch` says).
pub fn load_with_snapshots(path: &Path) -> Result<Mlp> {
    Ok(load(path)?.mlp)
}

/// `X,Y` as two finite numbers, for `flag`.
pub fn parse_point(flag: &str, s: &str) -> Result<[f64; 2]> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| anyhow::anyhow!("{flag} '{s}': give X,Y, two numbers"))?;
    match v[..] {
        [x, y] if x.is_finite() && y.is_finite() => Ok([x, y]),
        _ => bail!("{flag} '{s}': give X,Y, two finite numbers"),
    }
}

/// A model with its training snapshots, and the epoch playback starts at (`--epoch`).
pub type WithSnapshots = (Mlp, Option<usize>);

/// [`load`] for playback: the model `--epoch` names (else the final one) and, where the
/// file holds training snapshots, the model with them and the epoch to start at.
pub fn load_for_playback(path: &Path) -> Result<(Mlp, Option<WithSnapshots>)> {
    let mlp = load(path)?.mlp;
    let epoch = EPOCH.get().copied().flatten();
    let shown = match epoch {
        Some(e) => mlp
            .at_epoch(e)
            .map_err(|e| e.in_file(path))
            .context("--epoch")?,
        None => {
            let mut m = mlp.clone();
            m.snapshots.clear();
            m
        }
    };
    let snapshots = (!mlp.snapshots.is_empty()).then_some((mlp, epoch));
    Ok((shown, snapshots))
}

/// [`load`], the model alone.
pub fn load_model(path: &Path) -> Result<Mlp> {
    let mlp = load(path)?.mlp;
    match EPOCH.get().copied().flatten() {
        Some(epoch) => Ok(mlp
            .at_epoch(epoch)
            .map_err(|e| e.in_file(path))
            .context("--epoch")?),
        None => Ok(mlp),
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let activations = match &cli.activations {
        Some(list) => Some(
            list.split(',')
                .map(str::parse)
                .collect::<Result<Vec<faultline_model::Activation>, _>>()
                .context("--activations")?,
        ),
        None => None,
    };
    let _ = LOAD_OPTIONS.set(LoadOptions { activations });
    let _ = EPOCH.set(cli.epoch);
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Map(args) => map::run(args),
        Command::Export(args) => export::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Render(args) => render::run(args),
        Command::View(args) => view::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Convert(args) => convert::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Neurons(args) => neurons::run(args),
    }
}
