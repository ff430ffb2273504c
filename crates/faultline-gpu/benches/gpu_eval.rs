//! Criterion benchmarks of the GPU path: evaluation (results left on the GPU), evaluation
//! plus the boundary pass (two passes, then the fused kernel where the adapter takes it),
//! and evaluation with the field and with field and flags read back to the host.
//! Skipped with a note when there is no adapter.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faultline_gpu::{EvalRequest, GpuContext, GridEvaluator};
use faultline_model::random::random_mlp;
use faultline_model::{Activation, Domain, GridSpec};
use faultline_shader::KernelOptions;

fn gpu(c: &mut Criterion) {
    let ctx = match GpuContext::new() {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("skipping GPU benchmarks: {e}");
            return;
        }
    };
    let mlp = random_mlp(
        &[2, 3, 3],
        Activation::Sigmoid,
        Activation::Sigmoid,
        7,
        0.05,
    );
    let grid = GridSpec::new(Domain::new([0.0, 255.0], [0.0, 255.0]).unwrap(), 1024, 1024).unwrap();
    let evaluator = GridEvaluator::new(&ctx, &mlp, KernelOptions::default()).unwrap();
    let mut group = c.benchmark_group(format!("gpu 2-3-3 1024x1024 on {}", ctx.adapter_info.name));
    group.throughput(Throughput::Elements(grid.points() as u64));
    let field = EvalRequest {
        field: true,
        ..EvalRequest::default()
    };
    let boundaries = EvalRequest {
        flags: true,
        ..field
    };
    group.bench_function("evaluation", |b| {
        b.iter(|| evaluator.evaluate_on_gpu(&grid, &field).unwrap())
    });
    group.bench_function("evaluation + boundary pass", |b| {
        b.iter(|| evaluator.evaluate_on_gpu(&grid, &boundaries).unwrap())
    });
    group.bench_function("evaluation + readback", |b| {
        b.iter(|| evaluator.evaluate(&grid, &field).unwrap())
    });
    if evaluator.prepare_fused(&grid, &boundaries).unwrap() {
        group.bench_function("fused evaluation + flags", |b| {
            b.iter(|| evaluator.evaluate_on_gpu(&grid, &boundaries).unwrap())
        });
        group.bench_function("fused evaluation + flags + readback", |b| {
            b.iter(|| evaluator.evaluate(&grid, &boundaries).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, gpu);
criterion_main!(benches);
