//! `faultline eval`: a model on a grid, written as .npy arrays.

use std::time::Instant;

use anyhow::Result;

use super::backend::{Engine, choose, cpu_evaluator};
use super::grid_args::{check_memory, grid};
use crate::cli::EvalArgs;
use crate::output::check_writable;
use faultline_cpu::boundary::Codes;
use faultline_gpu::{EvalRequest, GridEvaluator};
use faultline_model::arrays::Field;
use faultline_model::npy;
use faultline_shader::KernelOptions;

/// The arrays an evaluation produced, whichever engine ran it.
struct Arrays {
    field: Option<Field>,
    classes: Vec<u32>,
    pairs: Option<Vec<u64>>,
    decision: Vec<u8>,
}

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
    let boundaries = args.classes.is_some() || args.pairs.is_some() || args.decision.is_some();
    let engine = choose(args.backend)?;

    let started = Instant::now();
    let mut pipeline_seconds = 0.0;
    let arrays = match &engine {
        Engine::Gpu(ctx) => {
            let evaluator = GridEvaluator::new(ctx, &model, KernelOptions::default())?;
            pipeline_seconds = evaluator.pipeline_seconds;
            let request = EvalRequest {
                field: args.field.is_some(),
                flags: true,
                pairs: args.pairs.is_some(),
                max_band_rows: None,
            };
            let (out, _) = evaluator.evaluate(&grid, &request)?;
            Arrays {
                classes: out.classes(),
                decision: out.decision(),
                pairs: out.pairs,
                field: out.field.map(|values| Field {
                    width: grid.width,
                    height: grid.height,
                    channels: model.outputs(),
                    values,
                }),
            }
        }
        Engine::Cpu => {
            let field = cpu_evaluator(&model)?.field(&grid);
            let h = grid.height;
            if boundaries {
                let codes = Codes::of(&field)?;
                Arrays {
                    decision: codes.decision(h),
                    pairs: args.pairs.is_some().then(|| codes.pairs(h)),
                    classes: codes.classes,
                    field: Some(field),
                }
            } else {
                Arrays {
                    classes: Vec::new(),
                    decision: Vec::new(),
                    pairs: None,
                    field: Some(field),
                }
            }
        }
    };
    let seconds = started.elapsed().as_secs_f64() - pipeline_seconds;

    let shape = Field {
        width: grid.width,
        height: grid.height,
        channels: model.outputs(),
        values: Vec::new(),
    };
    if let (Some(path), Some(field)) = (&args.field, &arrays.field) {
        npy::write_field(path, field)?;
    }
    if let Some(path) = &args.classes {
        npy::write_classes(path, &shape, &arrays.classes)?;
    }
    if let (Some(path), Some(pairs)) = (&args.pairs, &arrays.pairs) {
        npy::write_pairs(path, &shape, pairs)?;
    }
    if let Some(path) = &args.decision {
        npy::write_decision(path, &shape, &arrays.decision)?;
    }

    let names = model.class_names();
    let mut counts = vec![0usize; model.outputs()];
    for &k in &arrays.classes {
        counts[k as usize] += 1;
    }
    let shares: Vec<String> = names
        .iter()
        .zip(&counts)
        .map(|(n, &c)| {
            format!(
                "{n} {:.1} %",
                100.0 * c as f64 / arrays.classes.len() as f64
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
