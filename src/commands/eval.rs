//! `faultline eval`: a model on a grid, written as .npy arrays.

use std::time::Instant;

use anyhow::Result;

use super::backend::engine;
use super::grid_args::{check_memory, grid};
use crate::cli::EvalArgs;
use crate::output::check_writable;
use faultline_model::GridRequest;
use faultline_model::npy;

pub fn run(args: EvalArgs) -> Result<()> {
    let outputs = [
        ("--field", &args.field),
        ("--classes", &args.classes),
        ("--pairs", &args.pairs),
        ("--decision", &args.decision),
    ];
    for (flag, path) in outputs {
        if let Some(path) = path {
            check_writable(flag, path)?;
        }
    }
    let model = faultline_model::io::load(&args.model)?;
    let grid = grid(&model, &args.model, &args.size, args.domain.as_deref())?;
    if args.pairs.is_some() {
        npy::pairs_dtype(model.outputs())?;
    }
    // The field in f32, classes (u32), pairs (u64) and decision (u8) on the host.
    check_memory(&grid, 4.0 * model.outputs() as f64 + 4.0 + 8.0 + 1.0)?;
    let request = GridRequest {
        field: args.field.is_some(),
        classes: args.classes.is_some(),
        pairs: args.pairs.is_some(),
        decision: args.decision.is_some(),
        // The class shares in the report come from the flags word, or from the field when
        // only the field is asked (then no boundary pass runs on either engine).
        flags: args.field.is_none(),
        max_band_rows: None,
    };
    let engine = engine(args.backend, &model)?;
    let pipeline_seconds = engine.setup_seconds();

    let started = Instant::now();
    let mut arrays = engine.evaluate(&grid, &request, &mut |_| {})?;
    let seconds = started.elapsed().as_secs_f64();

    let shape = arrays.shape();
    let classes: Vec<u32> = match (arrays.flags.take(), &arrays.field) {
        (Some(flags), _) => flags
            .iter()
            .map(|w| w & faultline_model::arrays::CLASS_MASK)
            .collect(),
        (None, Some(field)) => field
            .chunks(model.outputs().max(1))
            .map(faultline_model::arrays::argmax)
            .collect(),
        (None, None) => Vec::new(),
    };
    if let (Some(path), Some(field)) = (&args.field, arrays.take_field()) {
        npy::write_field(path, &field)?;
    }
    if let (Some(path), Some(classes)) = (&args.classes, &arrays.classes) {
        npy::write_classes(path, &shape, classes)?;
    }
    if let (Some(path), Some(pairs)) = (&args.pairs, &arrays.pairs) {
        npy::write_pairs(path, &shape, pairs)?;
    }
    if let (Some(path), Some(decision)) = (&args.decision, &arrays.decision) {
        npy::write_decision(path, &shape, decision)?;
    }

    let names = model.class_names();
    let mut counts = vec![0usize; model.outputs()];
    for &k in &classes {
        counts[k as usize] += 1;
    }
    let shares: Vec<String> = names
        .iter()
        .zip(&counts)
        .map(|(n, &c)| {
            format!(
                "{n} {:.1} %",
                100.0 * c as f64 / classes.len().max(1) as f64
            )
        })
        .collect();
    let pipeline = if pipeline_seconds > 0.0 {
        format!(" (+{pipeline_seconds:.3} s to build the kernel)")
    } else {
        String::new()
    };
    println!(
        "evaluated {}x{} ({} points) on {} in {seconds:.3} s{pipeline}, {:.1} M points/s: {}",
        grid.width,
        grid.height,
        grid.points(),
        engine.describe(),
        grid.points() as f64 / seconds.max(1e-9) / 1e6,
        shares.join(", ")
    );
    for (flag, path) in outputs {
        if let Some(path) = path {
            println!("wrote {} ({})", path.display(), &flag[2..]);
        }
    }
    Ok(())
}
