//! `faultline bench`: grid evaluation speed per backend, measured side by side.
//!
//! Each measurement runs once to warm up, then `--repeats` times; the median is reported.
//! "End to end" means the field `[H, W, C]` is in host memory; "compute" leaves it where
//! it was computed (on the GPU for `gpu`, as the viewer uses it).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::grid_args::check_memory;
use crate::cli::BenchArgs;
use faultline_cpu::CpuEvaluator;
use faultline_gpu::{EvalRequest, GpuContext, GridEvaluator};
use faultline_model::arrays::Field;
use faultline_model::random::random_mlp;
use faultline_model::{Activation, Domain, GridSpec, Mlp};
use faultline_shader::KernelOptions;

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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `f` once to warm up and `repeats` times timed; the median seconds.
fn time(repeats: usize, mut f: impl FnMut() -> Result<f64>) -> Result<f64> {
    f()?;
    let runs = (0..repeats).map(|_| f()).collect::<Result<Vec<f64>>>()?;
    Ok(median(runs))
}

/// Median seconds of `a` and of `b`, timed alternately (a b, b a, a b, ...) after one
/// warm-up each, and the median of the ratios b / a of each adjacent pair: a slow spell
/// of a shared machine weighs on both runs of a pair alike, so that ratio (the boundary
/// pass's cost) is steadier than one of two medians.
fn time_interleaved(
    repeats: usize,
    mut a: impl FnMut() -> Result<f64>,
    mut b: impl FnMut() -> Result<f64>,
) -> Result<(f64, f64, f64)> {
    a()?;
    b()?;
    let (mut ta, mut tb) = (Vec::with_capacity(repeats), Vec::with_capacity(repeats));
    for i in 0..repeats {
        if i % 2 == 0 {
            ta.push(a()?);
            tb.push(b()?);
        } else {
            tb.push(b()?);
            ta.push(a()?);
        }
    }
    let ratios = ta.iter().zip(&tb).map(|(a, b)| b / a).collect();
    Ok((median(ta), median(tb), median(ratios)))
}

pub fn run(args: BenchArgs) -> Result<()> {
    let size: usize = match faultline_model::grid::parse_size(&args.size).context("--size")? {
        (w, h) if w == h => w,
        _ => bail!("--size: bench takes one side N for an N x N grid"),
    };
    if args.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    let mut backends: Vec<&str> = Vec::new();
    for b in args.backend.split(',').map(str::trim) {
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
    let models = match &args.model {
        Some(path) => {
            let mlp = faultline_model::io::load(path)?;
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
        check_memory(&grid, 4.0 * mlp.outputs() as f64 * 2.0 + 8.0)?;
    }
    if let Some(dir) = &args.save_models {
        if !dir.is_dir() {
            bail!("--save-models {}: not a folder", dir.display());
        }
        for (label, mlp, domain) in &models {
            let mut mlp = mlp.clone();
            mlp.metadata.domain = Some(*domain);
            let name = label.replace(' ', "-").replace(['(', ')'], "");
            let path = dir.join(format!("{name}.safetensors"));
            faultline_model::io::save(&mlp, &path)?;
            eprintln!("wrote {}", path.display());
        }
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

    if args.json {
        let adapter = gpu.as_ref().map(|ctx| {
            json!({
                "name": ctx.adapter_info.name,
                "backend": format!("{:?}", ctx.adapter_info.backend),
                "device_type": format!("{:?}", ctx.adapter_info.device_type),
                "driver": ctx.adapter_info.driver,
                "driver_info": ctx.adapter_info.driver_info,
            })
        });
        let report = json!({
            "adapter": adapter,
            "cpu_threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "results": results.iter().map(Measurement::to_json).collect::<Vec<_>>(),
            "notes": notes,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if let Some(ctx) = &gpu {
        println!("adapter: {}", ctx.describe());
    }
    // The framework baseline measured in this run, by model: the last column's ratio.
    let baseline = |model: &str| {
        results
            .iter()
            .find(|b| b.model == model && b.backend == "cpu-burn")
            .map(|b| b.points() / b.seconds)
    };
    let label_width = results
        .iter()
        .map(|m| m.model.len())
        .max()
        .unwrap_or(0)
        .max(5);
    println!(
        "{:<label_width$} {:<14} {:>6} {:>14} {:>14} {:>9} {:>10} {:>10} {:>9}",
        "model",
        "backend",
        "size",
        "end-to-end/s",
        "compute/s",
        "GFLOP/s",
        "seconds",
        "pipeline",
        "vs burn"
    );
    for m in &results {
        let j = m.to_json();
        let per_second = j["points_per_second"].as_f64().unwrap_or(0.0);
        let versus = baseline(&m.model)
            .map(|b| format!("{:.2}x", per_second / b))
            .unwrap_or_default();
        println!(
            "{:<label_width$} {:<14} {:>6} {:>12.2} M {:>12.2} M {:>9.2} {:>10.4} {:>10.4} {:>9}",
            m.model,
            m.backend,
            m.size,
            per_second / 1e6,
            j["compute_points_per_second"].as_f64().unwrap_or(0.0) / 1e6,
            j["gflops"].as_f64().unwrap_or(0.0),
            m.seconds,
            m.pipeline_seconds,
            versus
        );
        if let Some(o) = j["boundary_overhead"].as_f64() {
            println!(
                "{:<label_width$} {:<14} boundary pass adds {:.1} % to compute",
                "",
                "",
                o * 100.0
            );
        }
    }
    if results.iter().any(|m| m.backend == "cpu-burn") {
        println!("vs burn: end to end over cpu-burn (burn's ndarray inference) in this run");
    }
    for n in notes {
        println!("note: {n}");
    }
    Ok(())
}

/// Measures a host backend: `prepare` once (timed as its setup), then `run` with warm-up
/// and repeats. Its results are in host memory, so end to end and compute are the same.
fn bench_host<T>(
    backend: &str,
    size: usize,
    repeats: usize,
    prepare: impl FnOnce() -> Result<T>,
    run: impl Fn(&T) -> Result<()>,
) -> Result<Measurement> {
    let started = Instant::now();
    let state = prepare()?;
    let setup = started.elapsed().as_secs_f64();
    let seconds = time(repeats, || {
        let t = Instant::now();
        run(&state)?;
        Ok(t.elapsed().as_secs_f64())
    })?;
    Ok(Measurement {
        backend: backend.into(),
        model: String::new(),
        size,
        seconds,
        compute_seconds: seconds,
        pipeline_seconds: setup,
        boundary_overhead: None,
        flops_per_point: 0.0,
    })
}

/// The native CPU path: the field into one reused buffer (as the viewer and
/// onnxruntime's arena do: the timing is the evaluation, not the kernel's page faults),
/// then the same with the boundary pass (classes, sign masks and the flags word).
fn bench_cpu(
    backend: &str,
    evaluator: &CpuEvaluator,
    grid: &GridSpec,
    repeats: usize,
) -> Result<Measurement> {
    let mut out = vec![0.0f32; grid.points() * evaluator.outputs()];
    let mut flags = vec![0u32; grid.points()];
    let field_only = |out: &mut Vec<f32>| {
        let t = Instant::now();
        evaluator.field_rows_into(grid, 0..grid.height, out);
        std::hint::black_box(out);
        Ok(t.elapsed().as_secs_f64())
    };
    let seconds = time(repeats, || field_only(&mut out))?;
    let out = std::cell::RefCell::new(out);
    let (_, _, ratio) = time_interleaved(
        repeats,
        || field_only(&mut out.borrow_mut()),
        || {
            let t = Instant::now();
            evaluator.field_and_flags_into(grid, &mut out.borrow_mut(), &mut flags)?;
            std::hint::black_box(&mut flags);
            Ok(t.elapsed().as_secs_f64())
        },
    )?;
    Ok(Measurement {
        backend: backend.into(),
        model: String::new(),
        size: grid.width,
        seconds,
        compute_seconds: seconds,
        pipeline_seconds: 0.0,
        boundary_overhead: Some(ratio - 1.0),
        flops_per_point: 0.0,
    })
}

fn model_label(path: &Path, mlp: &Mlp) -> String {
    format!(
        "{} ({})",
        mlp.architecture(),
        path.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    )
}

fn bench_gpu(ctx: &GpuContext, mlp: &Mlp, grid: &GridSpec, repeats: usize) -> Result<Measurement> {
    let evaluator = GridEvaluator::new(ctx, mlp, KernelOptions::default())?;
    let field_only = EvalRequest {
        field: true,
        ..EvalRequest::default()
    };
    let with_boundaries = EvalRequest {
        flags: true,
        ..field_only
    };
    // Repeated evaluations are what the fused field-and-flags kernel is for; its build
    // time counts in the pipeline time.
    let started = Instant::now();
    evaluator.prepare_fused(grid, &with_boundaries)?;
    let built = evaluator.pipeline_seconds + started.elapsed().as_secs_f64();
    // Software adapters compile a pipeline's shader at its first dispatch, not when it is
    // created: what a first run takes beyond a steady one counts as pipeline time too.
    let first = |request: &EvalRequest| -> Result<f64> {
        let t = Instant::now();
        evaluator.evaluate_on_gpu(grid, request)?;
        Ok(t.elapsed().as_secs_f64())
    };
    let (first_field, first_flags) = (first(&field_only)?, first(&with_boundaries)?);
    // Like the CPU backends, repeats write into the same host arrays.
    let mut out = faultline_gpu::GridOutput::default();
    let seconds = time(repeats, || {
        let t = Instant::now();
        evaluator.evaluate_into(grid, &field_only, &mut out)?;
        std::hint::black_box(&out);
        Ok(t.elapsed().as_secs_f64())
    })?;
    let (compute, compute_flags, ratio) = time_interleaved(
        repeats,
        || Ok(evaluator.evaluate_on_gpu(grid, &field_only)?.seconds),
        || Ok(evaluator.evaluate_on_gpu(grid, &with_boundaries)?.seconds),
    )?;
    let pipeline_seconds =
        built + (first_field - compute).max(0.0) + (first_flags - compute_flags).max(0.0);
    Ok(Measurement {
        backend: "gpu".into(),
        model: String::new(),
        size: grid.width,
        seconds,
        compute_seconds: compute,
        pipeline_seconds,
        boundary_overhead: Some(ratio - 1.0),
        flops_per_point: 0.0,
    })
}
