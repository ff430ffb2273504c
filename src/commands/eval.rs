//! `faultline eval`: a model on a grid, written as .npy arrays.

use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::cli::{Backend, EvalArgs};
use crate::output::{available_memory, check_writable, human_bytes};
use faultline_model::arrays::Field;
use faultline_model::grid::parse_size;
use faultline_model::{Domain, GridSpec, npy};

pub fn run(args: EvalArgs) -> Result<()> {
    let (width, height) = parse_size(&args.size).context("--size")?;
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
    let domain = match &args.domain {
        Some(s) => Domain::parse_flag(s).context("--domain")?,
        None => model.metadata.domain.with_context(|| {
            format!(
                "{} has no domain in its metadata; pass --domain x0,x1,y0,y1",
                args.model.display()
            )
        })?,
    };
    let grid = GridSpec::new(domain, width, height)?;
    if model.inputs() != 2 {
        bail!(
            "{}: grid evaluation needs a model with 2 inputs, this one has {}",
            args.model.display(),
            model.inputs()
        );
    }
    if args.pairs.is_some() {
        npy::pairs_dtype(model.outputs())?;
    }
    check_memory(&grid, model.outputs())?;
    let backend = match args.backend {
        Backend::Gpu => bail!(
            "--backend gpu: the GPU evaluator is not part of this build yet; use --backend cpu"
        ),
        Backend::Auto | Backend::Cpu => "cpu (reference)",
    };

    let started = Instant::now();
    let field = Field::reference(&model, &grid)?;
    let seconds = started.elapsed().as_secs_f64();
    let classes = field.classes();

    if let Some(path) = &args.field {
        npy::write_field(path, &field)?;
    }
    if let Some(path) = &args.classes {
        npy::write_classes(path, &field, &classes)?;
    }
    if let Some(path) = &args.pairs {
        npy::write_pairs(path, &field, &field.pairs()?)?;
    }
    if let Some(path) = &args.decision {
        npy::write_decision(path, &field, &field.decision())?;
    }

    let names = model.class_names();
    let mut counts = vec![0usize; model.outputs()];
    for &k in &classes {
        counts[k as usize] += 1;
    }
    let shares: Vec<String> = names
        .iter()
        .zip(&counts)
        .map(|(n, &c)| format!("{n} {:.1} %", 100.0 * c as f64 / classes.len() as f64))
        .collect();
    println!(
        "evaluated {}x{} ({} points) on {backend} in {:.3} s ({:.2} M points/s): {}",
        width,
        height,
        grid.points(),
        seconds,
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

/// Refuses up front when the field and derived arrays would not fit in memory.
fn check_memory(grid: &GridSpec, channels: usize) -> Result<()> {
    let points = grid.width as f64 * grid.height as f64;
    // The field in f32, classes (u32 while computing), pairs (u64) and decision (u8).
    let bytes = points * (4.0 * channels as f64 + 4.0 + 8.0 + 1.0);
    let available = available_memory();
    if bytes > available * 0.8 {
        bail!(
            "--size {}x{}: the arrays would need about {}, more than the {} available",
            grid.width,
            grid.height,
            human_bytes(bytes),
            human_bytes(available)
        );
    }
    Ok(())
}
