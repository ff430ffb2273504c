//! One module per subcommand.

mod backend;
mod bench;
mod convert;
mod demo;
mod eval;
mod export;
mod grid_args;
mod inspect;
mod landscape;
mod map;
mod render;
mod train;
mod view;

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command};
use faultline_model::Mlp;
use faultline_model::io::{LoadOptions, Loaded};

/// How every command reads model files (the global `--activations`).
static LOAD_OPTIONS: OnceLock<LoadOptions> = OnceLock::new();

/// Reads a model file as the command line says (`--activations`).
pub fn load(path: &Path) -> Result<Loaded> {
    let options = LOAD_OPTIONS.get_or_init(LoadOptions::default);
    Ok(faultline_model::io::load_with(path, options)?)
}

/// [`load`], the model alone.
pub fn load_model(path: &Path) -> Result<Mlp> {
    Ok(load(path)?.mlp)
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
    }
}
