//! The native CPU evaluator against the f64 reference, on every instruction-set path.

use faultline_cpu::{CpuEvaluator, Isa};
use faultline_model::arrays::Field;
use faultline_model::random::{random_mlp, test_suite};
use faultline_model::{Activation, Domain, GridSpec};

#[test]
fn every_activation_shape_and_isa_matches_the_reference() {
    let grid = GridSpec::new(Domain::new([-3.0, 2.5], [-2.0, 3.0]).unwrap(), 37, 23).unwrap();
    let mut worst = 0.0f64;
    for m in test_suite() {
        let (h, output) = (
            m.layers()[0].activation,
            m.layers()[m.layers().len() - 1].activation,
        );
        let reference = Field::reference(&m, &grid).unwrap();
        for isa in [Isa::Avx512, Isa::Avx2Fma, Isa::Baseline] {
            let fast = CpuEvaluator::with_isa(&m, isa).unwrap().field(&grid);
            assert_eq!(
                (fast.width, fast.height, fast.channels),
                (37, 23, m.outputs())
            );
            for (i, (&a, &b)) in fast.values.iter().zip(&reference.values).enumerate() {
                let (a, b) = (f64::from(a), f64::from(b));
                worst = worst.max((a - b).abs() / b.abs().max(0.1));
                assert!(
                    (a - b).abs() <= 1e-5 + 1e-4 * b.abs(),
                    "{} {h}/{output} {isa:?}: value {i}: {a} vs reference {b}",
                    m.architecture()
                );
            }
        }
    }
    eprintln!(
        "worst relative error {worst:.2e} (detected ISA {:?})",
        Isa::detect()
    );
}

#[test]
fn row_bands_equal_the_whole_grid() {
    let m = random_mlp(
        &[2, 16, 16, 4],
        Activation::Tanh,
        Activation::Softmax,
        3,
        2.0,
    );
    let grid = GridSpec::new(Domain::new([0.0, 1.0], [0.0, 1.0]).unwrap(), 50, 30).unwrap();
    let ev = CpuEvaluator::new(&m).unwrap();
    let whole = ev.field(&grid);
    let band = ev.field_rows(&grid, 7..19);
    assert_eq!(band.values[..], whole.values[7 * 50 * 4..19 * 50 * 4]);
}
