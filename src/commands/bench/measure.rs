//! Timing each backend: warm-up, repeats, medians, interleaved pairs.

use std::time::Instant;

use anyhow::Result;

use super::Measurement;
use faultline_cpu::CpuEvaluator;
use faultline_gpu::{EvalRequest, GpuContext, GridEvaluator};
use faultline_model::{GridSpec, Mlp};
use faultline_shader::KernelOptions;

pub(super) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `f` once to warm up and `repeats` times timed; the median seconds.
pub(super) fn time(repeats: usize, mut f: impl FnMut() -> Result<f64>) -> Result<f64> {
    f()?;
    let runs = (0..repeats).map(|_| f()).collect::<Result<Vec<f64>>>()?;
    Ok(median(runs))
}

/// Median seconds of `a` and of `b`, timed alternately (a b, b a, a b, ...) after one
/// warm-up each, and the median of the ratios b / a of each adjacent pair: a slow spell
/// of a shared machine weighs on both runs of a pair alike, so that ratio (the boundary
/// pass's cost) is steadier than one of two medians.
pub(super) fn time_interleaved(
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

/// Measures a host backend: `prepare` once (timed as its setup), then `run` with warm-up
/// and repeats. Its results are in host memory, so end to end and compute are the same.
pub(super) fn bench_host<T>(
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
pub(super) fn bench_cpu(
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
            evaluator.field_and_flags_into(grid, &mut out.borrow_mut(), &mut flags);
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

pub(super) fn bench_gpu(
    ctx: &GpuContext,
    mlp: &Mlp,
    grid: &GridSpec,
    repeats: usize,
) -> Result<Measurement> {
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
