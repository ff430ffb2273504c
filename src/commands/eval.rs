//! `faultline eval`: a model on a grid, written as .npy arrays.

use std::time::Instant;

use anyhow::Result;

use super::backend::engine;
use super::grid_args::{check_memory, grid};
use super::plane_args::load_sliced;
use crate::cli::EvalArgs;
use crate::output::prepare;
use faultline_model::GridRequest;
use faultline_model::npy;

pub fn run(args: EvalArgs) -> Result<()> {
    let outputs = [
        ("--field", &args.field),
        ("--classes", &args.classes),
        ("--pairs", &args.pairs),
        ("--decision", &args.decision),
    ];
    let sliced = load_sliced(&args.model, &args.plane, args.domain.as_deref())?;
    let model = &sliced.mlp;
    let grid = grid(model, &args.model, &args.size, args.domain.as_deref())?;
    if args.pairs.is_some() {
        npy::pairs_dtype(model.outputs())?;
    }
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
    // Every output's temporary file exists before the evaluation starts.
    let asked: Vec<(&str, &std::path::Path)> = outputs
        .iter()
        .filter_map(|(flag, path)| path.as_deref().map(|p| (*flag, p)))
        .collect();
    let mut files = prepare(&asked, &[("the model", &args.model)])?.into_iter();
    let engine = engine(args.backend, model)?;
    check_memory(&grid, engine.peak_host_bytes(&grid, &request))?;
    let pipeline_seconds = engine.setup_seconds();

    let started = Instant::now();
    let mut arrays = engine.evaluate(&grid, &request, &mut |_| {})?;
    let seconds = started.elapsed().as_secs_f64();

    let shape = arrays.shape();
    let counts = class_counts(&arrays, model);
    // Written in flag order, each array freed as soon as it is on disk.
    if let Some(field) = arrays.take_field() {
        npy::write_field(files.next().expect("a file per output"), field)?;
    }
    if let Some(classes) = arrays.classes.take() {
        npy::write_classes(files.next().expect("a file per output"), &shape, &classes)?;
    }
    if let Some(pairs) = arrays.pairs.take() {
        npy::write_pairs(files.next().expect("a file per output"), &shape, pairs)?;
    }
    if let Some(decision) = arrays.decision.take() {
        npy::write_decision(files.next().expect("a file per output"), &shape, decision)?;
    }

    let total = counts.iter().sum::<usize>().max(1);
    let shares: Vec<String> = model
        .class_names()
        .iter()
        .zip(&counts)
        .map(|(n, &c)| format!("{n} {:.1} %", 100.0 * c as f64 / total as f64))
        .collect();
    let pipeline = if pipeline_seconds > 0.0 {
        format!(" (+{pipeline_seconds:.3} s to build the kernel)")
    } else {
        String::new()
    };
    say!(
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
            say!("wrote {} ({})", path.display(), &flag[2..]);
        }
    }
    sliced.record.finish(&grid.domain)?;
    Ok(())
}

/// Cells per class: from the flags word, else from the field (when only it was asked).
fn class_counts(arrays: &faultline_model::GridArrays, model: &faultline_model::Mlp) -> Vec<usize> {
    use faultline_model::arrays::{CLASS_MASK, class_of};
    let (outputs, threshold) = (model.outputs(), model.threshold());
    let mut counts = vec![0usize; model.classes()];
    match (&arrays.flags, &arrays.classes, &arrays.field) {
        (Some(flags), _, _) => flags
            .iter()
            .for_each(|w| counts[(w & CLASS_MASK) as usize] += 1),
        (None, Some(classes), _) => classes.iter().for_each(|&k| counts[k as usize] += 1),
        (None, None, Some(field)) => field
            .chunks(outputs.max(1))
            .for_each(|z| counts[class_of(z, threshold) as usize] += 1),
        (None, None, None) => {}
    }
    counts
}
