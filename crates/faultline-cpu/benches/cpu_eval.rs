//! Criterion benchmarks of the native CPU evaluator (points per second).

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faultline_cpu::CpuEvaluator;
use faultline_model::random::random_mlp;
use faultline_model::{Activation, Domain, GridSpec};

fn evaluation(c: &mut Criterion) {
    let mut group = c.benchmark_group("cpu_eval");
    let nets = [
        (
            "2-3-3 sigmoid",
            random_mlp(
                &[2, 3, 3],
                Activation::Sigmoid,
                Activation::Sigmoid,
                7,
                0.05,
            ),
            255.0,
        ),
        (
            "2-64-64-10 relu",
            random_mlp(
                &[2, 64, 64, 10],
                Activation::Relu,
                Activation::Identity,
                7,
                2.0,
            ),
            1.0,
        ),
    ];
    for (name, mlp, extent) in &nets {
        let n = if mlp.parameter_count() > 1000 {
            256
        } else {
            1024
        };
        let grid =
            GridSpec::new(Domain::new([0.0, *extent], [0.0, *extent]).unwrap(), n, n).unwrap();
        let evaluator = CpuEvaluator::new(mlp).unwrap();
        group.throughput(Throughput::Elements(grid.points() as u64));
        group.bench_function(format!("{name} {n}x{n}"), |b| {
            b.iter(|| evaluator.field(&grid))
        });
    }
    group.finish();
}

criterion_group!(benches, evaluation);
criterion_main!(benches);
