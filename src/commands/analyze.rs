//! `faultline analyze`: what the network learned, measured on a grid.

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result};

use super::grid_args::{check_memory, grid};
use super::plane_args::load_sliced;
use crate::cli::AnalyzeArgs;

pub fn run(args: AnalyzeArgs) -> Result<()> {
    let sliced = load_sliced(&args.model, &args.plane, args.domain.as_deref())?;
    let model = &sliced.mlp;
    let grid = grid(model, &args.model, &args.size, args.domain.as_deref())?;
    // The field, the class map, the pair signs and the union-find forest.
    let per_point = 4.0 * model.outputs() as f64 + 4.0 + 8.0 + 4.0 + 1.0;
    check_memory(&grid, grid.points() as f64 * per_point)?;
    let started = Instant::now();
    let analysis = faultline_analysis::analyze(model, &grid);
    let seconds = started.elapsed().as_secs_f64();
    let text = if args.json {
        serde_json::to_string_pretty(&analysis).expect("the analysis serialises") + "\n"
    } else {
        format!(
            "{}analysed {} ({}) on {}x{} in {seconds:.3} s\n",
            faultline_analysis::table(&analysis),
            args.model.display(),
            model.architecture(),
            grid.width,
            grid.height
        )
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing the analysis to standard output")?;
    sliced.record.finish(&grid.domain)?;
    Ok(())
}
