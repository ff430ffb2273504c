//! `faultline bench`: grid evaluation speed per backend, measured side by side.
//!
//! Each measurement runs once to warm up, then `--repeats` times; the median is reported.
//! "End to end" means the field `[H, W, C]` is in host memory; "compute" leaves it where
//! it was computed (on the GPU for `gpu`, as the viewer uses it).

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::grid_args::check_memory;
use crate::cli::BenchArgs;
use faultline_cpu::CpuEvaluator;
use faultline_gpu::GpuContext;
use faultline_model::arrays::Field;
use faultline_model::random::random_mlp;
use faultline_model::{Activation, Domain, GridSpec, Mlp};

mod measure;
mod report;

use measure::{bench_cpu, bench_gpu, bench_host};

const BACKENDS: [&str; 5] = ["gpu", "cpu", "cpu-dense", "cpu-burn", "cpu-reference"];

/// One row of the report.
struct Measurement {
    backend: String,
    model: String,
    size: usize,
    /// Median seconds end to end.
    seconds: f64,
    /// Median seconds with results left in place.
    compute_seconds: f64,
    pipeline_seconds: f64,
    /// What the boundary pass adds to the evaluation, as a fraction (gpu and cpu: the
    /// field and the flags word per cell against the field alone, timed alternately; the
    /// median of the pairs' ratios).
    boundary_overhead: Option<f64>,
    flops_per_point: f64,
}

impl Measurement {
    fn points(&self) -> f64 {
        (self.size * self.size) as f64
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "backend": self.backend,
            "model": self.model,
            "size": self.size,
            "points_per_second": self.points() / self.seconds,
            "compute_points_per_second": self.points() / self.compute_seconds,
            "gflops": self.points() / self.compute_seconds * self.flops_per_point / 1e9,
            "seconds": self.seconds,
            "pipeline_seconds": self.pipeline_seconds,
            "boundary_overhead": self.boundary_overhead,
            "flops_per_point": self.flops_per_point,
        })
    }
}

/// Counted operations per point: 2 per multiply-add, 1 per activation element (softmax 3
/// per element), as explained in BENCHMARKS.md.
pub fn flops_per_point(mlp: &Mlp) -> f64 {
    mlp.layers()
        .iter()
        .map(|l| {
            let act = match l.activation {
                Activation::Identity => 0.0,
                Activation::Softmax => 3.0,
                _ => 1.0,
            };
            2.0 * (l.inputs * l.outputs) as f64 + act * l.outputs as f64
        })
        .sum()
}

/// The built-in benchmark networks: the paper's 2-3-3 sigmoid net on pixel values and a
/// 2-64-64-10 relu net, both with seeded weights.
fn builtin_models() -> Vec<(String, Mlp, Domain)> {
    let pixels = Domain::new([0.0, 255.0], [0.0, 255.0]).expect("valid");
    let unit = Domain::new([-1.0, 1.0], [-1.0, 1.0]).expect("valid");
    let seed = random_mlp(
        &[2, 3, 3],
        Activation::Sigmoid,
        Activation::Sigmoid,
        7,
        0.05,
    );
    let wide = random_mlp(
        &[2, 64, 64, 10],
        Activation::Relu,
        Activation::Identity,
        7,
        2.0,
    );
    vec![
        ("2-3-3 sigmoid".into(), seed, pixels),
        ("2-64-64-10 relu".into(), wide, unit),
    ]
}

pub fn run(args: BenchArgs) -> Result<()> {
    let size: usize = match faultline_model::grid::parse_size(&args.size).context("--size")? {
        (w, h) if w == h => w,
        _ => bail!("--size: bench takes one side N for an N x N grid"),
    };
    if args.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    let backends = parse_backends(&args.backend)?;
    let models = match &args.model {
        Some(path) => {
            let mlp = super::load_model(path)?;
            let domain = mlp
                .metadata
                .domain
                .unwrap_or(Domain::new([-1.0, 1.0], [-1.0, 1.0])?);
            vec![(model_label(path, &mlp), mlp, domain)]
        }
        None => builtin_models(),
    };
    for (_, mlp, domain) in &models {
        let grid = GridSpec::new(*domain, size, size)?;
        check_memory(
            &grid,
            grid.points() as f64 * (4.0 * mlp.outputs() as f64 * 2.0 + 8.0),
        )?;
    }
    if let Some(dir) = &args.save_models {
        save_models(dir, &models)?;
    }

    let mut notes = Vec::new();
    let gpu = if backends.contains(&"gpu") {
        match GpuContext::new() {
            Ok(ctx) => Some(ctx),
            Err(e) => {
                notes.push(format!("gpu skipped: {e}"));
                None
            }
        }
    } else {
        None
    };
    let mut results = Vec::new();
    // Host backends first, the GPU last: a software adapter's worker threads would
    // otherwise still compete for the cores while the host paths are timed.
    let mut order: Vec<(usize, usize)> = (0..models.len())
        .flat_map(|m| (0..backends.len()).map(move |b| (m, b)))
        .collect();
    order.sort_by_key(|&(m, b)| (backends[b] == "gpu", m, b));
    let mut measured = Vec::new();
    for (model_index, backend_index) in order {
        let (label, mlp, domain) = &models[model_index];
        let backend = backends[backend_index];
        let grid = GridSpec::new(*domain, size, size)?;
        {
            let m = match backend {
                "gpu" => match &gpu {
                    Some(ctx) => bench_gpu(ctx, mlp, &grid, args.repeats)?,
                    None => continue,
                },
                "cpu-reference" => bench_host(
                    backend,
                    size,
                    args.repeats,
                    || Ok(()),
                    |_| {
                        std::hint::black_box(Field::reference(mlp, &grid)?);
                        Ok(())
                    },
                )?,
                "cpu-burn" => bench_host(
                    backend,
                    size,
                    args.repeats,
                    || Ok(faultline_train::inference::BurnModel::new(mlp)),
                    |model| {
                        std::hint::black_box(model.field(&grid));
                        Ok(())
                    },
                )?,
                "cpu" | "cpu-dense" => {
                    let evaluator = CpuEvaluator::new(mlp)?;
                    let evaluator = if backend == "cpu-dense" {
                        evaluator.dense()
                    } else {
                        evaluator
                    };
                    bench_cpu(backend, &evaluator, &grid, args.repeats)?
                }
                _ => {
                    notes.push(format!("{backend} skipped: not in this build yet"));
                    continue;
                }
            };
            measured.push((
                (model_index, backend_index),
                Measurement {
                    model: label.clone(),
                    flops_per_point: flops_per_point(mlp),
                    ..m
                },
            ));
        }
    }
    // Reported by model, in the order the backends were asked for.
    measured.sort_by_key(|(key, _)| *key);
    results.extend(measured.into_iter().map(|(_, m)| m));
    notes.dedup();
    report::print(args.json, gpu.as_ref(), &results, notes)
}

/// The backends `--backend` names (`all` or a comma list), in the order given.
fn parse_backends(list: &str) -> Result<Vec<&'static str>> {
    let mut backends: Vec<&'static str> = Vec::new();
    for b in list.split(',').map(str::trim) {
        match b {
            "all" => backends.extend(BACKENDS),
            b if BACKENDS.contains(&b) => {
                backends.push(BACKENDS[BACKENDS.iter().position(|x| *x == b).expect("listed")])
            }
            other => bail!(
                "--backend '{other}': expected all or a comma list of {}",
                BACKENDS.join(", ")
            ),
        }
    }
    backends.dedup();
    Ok(backends)
}

/// Writes the benchmark models to `dir` (`--save-models`), with their domains.
fn save_models(dir: &std::path::Path, models: &[(String, Mlp, Domain)]) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!("--save-models {}: not a folder", dir.display());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("--save-models {}: {e}", dir.display()))?;
    for (label, mlp, domain) in models {
        let mut mlp = mlp.clone();
        mlp.metadata.domain = Some(*domain);
        let name = label.replace(' ', "-").replace(['(', ')'], "");
        let path = dir.join(format!("{name}.safetensors"));
        faultline_model::io::save(&mlp, &path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// `2-5-4-3 (model.safetensors)`: the architecture and the file it came from.
fn model_label(path: &Path, mlp: &Mlp) -> String {
    format!(
        "{} ({})",
        mlp.architecture(),
        path.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    )
}
