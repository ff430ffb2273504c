//! The native CPU evaluator against the f64 reference, on every instruction-set path.

use faultline_cpu::{CpuEvaluator, Isa};
use faultline_model::arrays::Field;
use faultline_model::random::{random_mlp, test_suite};
use faultline_model::{Activation, Domain, GridSpec, Layer, Mlp, Slope};

#[test]
fn every_activation_shape_and_isa_matches_the_reference() {
    let grid = GridSpec::new(Domain::new([-3.0, 2.5], [-2.0, 3.0]).unwrap(), 37, 23).unwrap();
    let mut worst = 0.0f64;
    for m in test_suite() {
        let (h, output) = (
            m.layers()[0].activation,
            m.layers()[m.layers().len() - 1].activation,
        );
        for isa in Isa::supported() {
            let evaluator = CpuEvaluator::with_isa(&m, isa).unwrap();
            assert_eq!(
                evaluator.isa(),
                isa,
                "the evaluator runs the ISA under test"
            );
            let fast = evaluator.field(&grid);
            assert_eq!(
                (fast.width, fast.height, fast.channels),
                (37, 23, m.outputs()),
                "{h}/{output}"
            );
            worst = worst.max(check_against_reference(&m, &grid, &evaluator));
        }
    }
    eprintln!(
        "worst relative error {worst:.2e} over {:?} (this CPU cannot run the others)",
        Isa::supported()
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

/// `m` with its first layer changed by `change`.
fn with_first_layer(m: &Mlp, change: impl FnOnce(&mut Layer)) -> Mlp {
    let mut layers = m.layers().to_vec();
    change(&mut layers[0]);
    Mlp::new(layers, m.metadata.clone()).unwrap()
}

/// Largest error of the native field against the reference, after checking every value
/// is within `1e-5 + 1e-4 |reference|`.
fn check_against_reference(m: &Mlp, grid: &GridSpec, evaluator: &CpuEvaluator) -> f64 {
    let reference = Field::reference(m, grid).unwrap();
    let fast = evaluator.field(grid);
    let isa = evaluator.isa();
    let mut worst = 0.0f64;
    for (i, (&a, &b)) in fast.values.iter().zip(&reference.values).enumerate() {
        let (a, b) = (f64::from(a), f64::from(b));
        worst = worst.max((a - b).abs() / b.abs().max(0.1));
        assert!(
            (a - b).abs() <= 1e-5 + 1e-4 * b.abs(),
            "{} {isa:?}: value {i}: {a} vs reference {b}",
            m.architecture()
        );
    }
    worst
}

#[test]
fn each_row_plan_matches_the_reference_on_wide_grids() {
    // Wide rows cross many first-layer sign changes (regions plan) and long exponential
    // tables (factored plan); 1-wide rows are the edge case of both.
    let grids = [
        GridSpec::new(Domain::new([-4.0, 3.0], [-2.0, 3.5]).unwrap(), 611, 9).unwrap(),
        GridSpec::new(Domain::new([0.0, 400.0], [0.0, 300.0]).unwrap(), 257, 5).unwrap(),
        GridSpec::new(Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap(), 1, 4).unwrap(),
    ];
    let cases = [
        (
            &[2, 64, 64, 10][..],
            Activation::Relu,
            Activation::Identity,
            "regions",
        ),
        (
            &[2, 32, 16, 4][..],
            Activation::LeakyRelu(Slope::new(0.2).unwrap()),
            Activation::Softmax,
            "regions",
        ),
        (
            &[2, 8, 3][..],
            Activation::Identity,
            Activation::Sigmoid,
            "regions",
        ),
        (
            &[2, 12, 1][..],
            Activation::Relu,
            Activation::Tanh,
            "regions",
        ),
        (
            &[2, 3, 3][..],
            Activation::Sigmoid,
            Activation::Sigmoid,
            "factored",
        ),
        (
            &[2, 16, 16, 5][..],
            Activation::Tanh,
            Activation::Softmax,
            "factored",
        ),
        (
            &[2, 6][..],
            Activation::Sigmoid,
            Activation::Sigmoid,
            "factored",
        ),
        (&[2, 6][..], Activation::Relu, Activation::Relu, "dense"),
    ];
    let mut worst = 0.0f64;
    for (g, grid) in grids.iter().enumerate() {
        for (i, &(widths, hidden, output, plan)) in cases.iter().enumerate() {
            // Inputs on [0, 400] need small first-layer weights to stay interesting.
            let scale = if g == 1 { 0.02 } else { 1.5 };
            let m = random_mlp(widths, hidden, output, 100 + i as u64, 1.5);
            let m = with_first_layer(&m, |first| {
                first.weight.iter_mut().for_each(|w| *w *= scale / 1.5);
                if widths.len() == 2 {
                    first.activation = hidden;
                }
            });
            assert_eq!(
                CpuEvaluator::new(&m).unwrap().plan_name(grid),
                plan,
                "{} {hidden}",
                m.architecture()
            );
            for isa in Isa::supported() {
                let evaluator = CpuEvaluator::with_isa(&m, isa).unwrap();
                assert_eq!(
                    evaluator.isa(),
                    isa,
                    "the evaluator runs the ISA under test"
                );
                worst = worst.max(check_against_reference(&m, grid, &evaluator));
            }
            let dense = CpuEvaluator::new(&m).unwrap().dense();
            assert_eq!(dense.plan_name(grid), "dense");
            worst = worst.max(check_against_reference(&m, grid, &dense));
        }
    }
    eprintln!("worst relative error {worst:.2e}");
}

#[test]
fn steep_first_layers_fall_back_to_dense_rows_and_stay_right() {
    // First-layer weights of 100 over a width of 6 would need e^±300 column factors.
    let m = random_mlp(&[2, 5, 3], Activation::Sigmoid, Activation::Softmax, 9, 1.5);
    let m = with_first_layer(&m, |first| {
        first.weight.iter_mut().for_each(|w| *w *= 100.0)
    });
    let grid = GridSpec::new(Domain::new([-3.0, 3.0], [-3.0, 3.0]).unwrap(), 101, 13).unwrap();
    assert_eq!(CpuEvaluator::new(&m).unwrap().plan_name(&grid), "dense");
    check_against_reference(&m, &grid, &CpuEvaluator::new(&m).unwrap());
}

#[test]
fn boundary_arrays_match_the_reference_in_any_band_size() {
    use faultline_cpu::boundary::{CROSSING, Codes, DECISION, JUNCTION};
    use faultline_model::arrays::junctions;
    // A coarse grid of a wiggly net: many class changes, junctions and crossings; plus a
    // diagonal net with exact ties (z0 = x, z1 = y) to pin the lowest-index rule.
    let grid = GridSpec::new(Domain::new([-3.0, 3.0], [-3.0, 3.0]).unwrap(), 53, 41).unwrap();
    let mut nets: Vec<Mlp> = [1usize, 2, 3, 5, 11]
        .iter()
        .map(|&c| {
            random_mlp(
                &[2, 12, c],
                Activation::Tanh,
                Activation::Identity,
                c as u64,
                4.0,
            )
        })
        .collect();
    nets.push(
        Mlp::new(
            vec![Layer {
                inputs: 2,
                outputs: 2,
                weight: vec![1.0, 0.0, 0.0, 1.0],
                bias: vec![0.0, 0.0],
                activation: Activation::Identity,
            }],
            Default::default(),
        )
        .unwrap(),
    );
    for m in &nets {
        let evaluator = CpuEvaluator::new(m).unwrap();
        let field = evaluator.field(&grid);
        let codes = Codes::of(&field);
        let h = grid.height;
        assert_eq!(codes.classes, field.classes(), "{}", m.architecture());
        assert_eq!(codes.pairs(h, m.outputs()).unwrap(), field.pairs().unwrap());
        assert_eq!(codes.decision(h), field.decision());
        let junction = junctions(&field.classes(), grid.width, h);
        let pairs = field.pairs().unwrap();
        let flags = codes.flags(h);
        for (cell, &f) in flags.iter().enumerate() {
            assert_eq!(f & 0xffff, field.classes()[cell]);
            assert_eq!(f & DECISION != 0, field.decision()[cell] != 0);
            assert_eq!(f & JUNCTION != 0, junction[cell] != 0);
            assert_eq!(f & CROSSING != 0, pairs[cell] != 0);
        }
        if m.outputs() >= 3 {
            assert!(
                flags.iter().any(|f| f & JUNCTION != 0),
                "no junction to test"
            );
        }
        for band in [1, 2, 7, 40, 100] {
            assert_eq!(evaluator.flags(&grid, band, &mut |_| {}), flags);
        }
        // The fused pass gives the same field and flags; 41 rows are 2 tasks of 16 and a
        // partial one, so task edges (the re-evaluated upper rows) are covered.
        let mut fused_field = vec![f32::NAN; field.values.len()];
        let mut fused_flags = vec![u32::MAX; flags.len()];
        evaluator.field_and_flags_into(&grid, &mut fused_field, &mut fused_flags);
        assert_eq!(
            fused_field,
            field.values,
            "{} fused field",
            m.architecture()
        );
        assert_eq!(fused_flags, flags, "{} fused flags", m.architecture());
    }
}
