//! One module per subcommand.

mod backend;
mod bench;
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

use anyhow::Result;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
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
    }
}
