//! The GPU and native CPU engines through the engine trait (`faultline_model::GridEngine`),
//! on the adapter's own path and the hardware path.
//!
//! With FAULTLINE_REQUIRE_GPU=1 (CI) a missing adapter fails these tests.

mod common;

use common::*;
use faultline_gpu::{GridEvaluator, GridOutput};
use faultline_model::{Activation, Mlp};
use faultline_shader::KernelOptions;

/// The GPU and the native CPU engine through the engine trait, on the adapter's own path
/// and the hardware path, against the f64 reference: the paper's 2-3-3 sigmoid net and a
/// 2-64-64-10 relu net, whole and in bands of 7 rows.
#[test]
fn both_engines_match_the_reference_through_the_trait() {
    use faultline_model::{GridArrays, GridEngine, GridRequest};
    let everything = GridRequest {
        field: true,
        classes: true,
        pairs: true,
        decision: true,
        flags: true,
        max_band_rows: None,
    };
    let as_output = |a: GridArrays| GridOutput {
        width: a.width,
        height: a.height,
        channels: a.channels,
        threshold: a.threshold,
        field: a.field,
        flags: a.flags.expect("flags were asked"),
        pairs: a.pairs,
    };
    let nets = [
        net(&[2, 3, 3], Activation::Sigmoid, Activation::Sigmoid, 3, 4.0),
        net(
            &[2, 64, 64, 10],
            Activation::Relu,
            Activation::Identity,
            4,
            1.0,
        ),
    ];
    let g = grid(67, 41);
    let cpu_engines: Vec<Box<dyn GridEngine>> = nets
        .iter()
        .map(|m| Box::new(faultline_cpu::CpuEvaluator::new(m).unwrap()) as Box<dyn GridEngine>)
        .collect();
    let mut engines: Vec<(String, &Mlp, Box<dyn GridEngine>)> = nets
        .iter()
        .zip(cpu_engines)
        .map(|(m, e)| (e.describe(), m, e))
        .collect();
    for ctx in contexts() {
        for m in &nets {
            let ev = GridEvaluator::new(&ctx, m, KernelOptions::default()).unwrap();
            engines.push((ev.describe(), m, Box::new(ev)));
        }
    }
    for (name, m, engine) in &engines {
        for bands in [None, Some(7)] {
            let request = GridRequest {
                max_band_rows: bands,
                ..everything
            };
            let arrays = engine.evaluate(&g, &request, &mut |_| {}).unwrap();
            let (classes, decision) = (arrays.classes.clone(), arrays.decision.clone());
            let out = as_output(arrays);
            assert_eq!(classes.as_ref(), Some(&out.classes()), "{name}: classes");
            assert_eq!(decision.as_ref(), Some(&out.decision()), "{name}: decision");
            let what = format!("{name} {} bands {bands:?}", m.architecture());
            assert_twin_exact(&out, &what);
            assert_matches_reference(m, &g, &out, &what);
        }
    }
}

/// A request for the field alone runs no boundary pass: the GPU evaluator counts its
/// boundary dispatches, and the field-only evaluation adds none.
#[test]
fn the_field_alone_runs_no_boundary_pass() {
    use faultline_model::{GridEngine, GridRequest};
    for ctx in contexts() {
        let m = net(&[2, 8, 4], Activation::Tanh, Activation::Sigmoid, 2, 2.0);
        let ev = GridEvaluator::new(&ctx, &m, KernelOptions::default()).unwrap();
        let g = grid(40, 30);
        let a = GridEngine::evaluate(&ev, &g, &GridRequest::field(), &mut |_| {}).unwrap();
        assert!(a.field.is_some() && a.flags.is_none() && a.classes.is_none());
        assert_eq!(
            ev.boundary_passes(),
            0,
            "{}: field only",
            ctx.describe_with_path()
        );
        let a = GridEngine::evaluate(&ev, &g, &GridRequest::flags(), &mut |_| {}).unwrap();
        assert!(a.flags.is_some() && a.field.is_none());
        assert!(ev.boundary_passes() > 0, "the counter counts");
    }
}

/// Models with 12, 100 and 300 outputs (above the 64-pair limit of pairs and crossings)
/// on both engines, every path, whole and in bands: classes, decision and junctions
/// against the f64 reference, differences excused only at near-ties of the top two
/// outputs; the crossing bit is never set; a pairs request is one clear error.
#[test]
fn many_outputs_match_the_reference_on_both_engines() {
    use faultline_model::arrays::{CROSSING, top_two_within};
    use faultline_model::{Field, GridRequest};
    let request = GridRequest {
        field: true,
        classes: true,
        decision: true,
        flags: true,
        ..GridRequest::default()
    };
    let g = grid(45, 37);
    for outputs in [12, 100, 300] {
        let m = net(
            &[2, 16, outputs],
            Activation::Tanh,
            Activation::Identity,
            outputs as u64,
            3.0,
        );
        let reference = Field::reference(&m, &g).unwrap();
        let ref_classes = reference.classes();
        let ref_decision = reference.decision();
        let near = |cell: usize| {
            let (r, c) = (cell / g.width, cell % g.width);
            [
                (r, c),
                (r, (c + 1).min(g.width - 1)),
                ((r + 1).min(g.height - 1), c),
            ]
            .iter()
            .any(|&(r, c)| top_two_within(reference.at(r, c), 1e-4))
        };
        let distinct = {
            let mut k = ref_classes.clone();
            k.sort_unstable();
            k.dedup();
            k.len()
        };
        assert!(
            distinct >= 6,
            "{outputs} outputs: only {distinct} classes on the grid"
        );
        let engines = every_engine(&m);
        for engine in &engines {
            for bands in [None, Some(5)] {
                let what = format!(
                    "{} outputs on {}, bands {bands:?}",
                    outputs,
                    engine.describe()
                );
                let r = GridRequest {
                    max_band_rows: bands,
                    ..request
                };
                let a = engine.evaluate(&g, &r, &mut |_| {}).unwrap();
                let (classes, decision) = (a.classes.unwrap(), a.decision.unwrap());
                let mut excused = 0;
                for cell in 0..g.points() {
                    if classes[cell] != ref_classes[cell] || decision[cell] != ref_decision[cell] {
                        assert!(near(cell), "{what}: cell {cell} differs off a near-tie");
                        excused += 1;
                    }
                }
                assert!(excused * 100 < g.points(), "{what}: {excused} differences");
                let flags = a.flags.unwrap();
                assert!(
                    flags.iter().all(|f| f & CROSSING == 0),
                    "{what}: crossing set"
                );
                assert!(decision.contains(&1), "{what}: no boundary");
                let pairs = GridRequest {
                    pairs: true,
                    ..GridRequest::default()
                };
                let e = engine.evaluate(&g, &pairs, &mut |_| {}).unwrap_err();
                assert!(e.to_string().contains("at most 64 pairs"), "{what}: {e}");
            }
        }
    }
}

/// A one-output model is a binary classifier: class 1 where the output is above its
/// threshold (0.5 after a sigmoid, 0 after identity or tanh). Both engines, every path,
/// whole and in bands, against the f64 reference, differences only where the output is
/// within 1e-4 of the threshold.
#[test]
fn one_output_classifiers_have_two_classes_and_a_boundary() {
    use faultline_model::{Field, GridRequest};
    let request = GridRequest {
        field: true,
        classes: true,
        decision: true,
        flags: true,
        ..GridRequest::default()
    };
    let g = grid(53, 37);
    for (output, threshold) in [
        (Activation::Sigmoid, 0.5),
        (Activation::Identity, 0.0),
        (Activation::Tanh, 0.0),
    ] {
        let m = net(&[2, 8, 1], Activation::Tanh, output, 11, 2.0);
        assert_eq!(m.threshold(), threshold);
        let reference = Field::reference(&m, &g).unwrap();
        let expected = reference.classes();
        let ones = expected.iter().filter(|&&k| k == 1).count();
        assert!(
            ones > g.points() / 10 && ones < g.points() * 9 / 10,
            "{output:?}: {ones} of {} cells in class 1",
            g.points()
        );
        let engines = every_engine(&m);
        for engine in &engines {
            for bands in [None, Some(4)] {
                let what = format!("{output:?} on {}, bands {bands:?}", engine.describe());
                let r = GridRequest {
                    max_band_rows: bands,
                    ..request
                };
                let a = engine.evaluate(&g, &r, &mut |_| {}).unwrap();
                let (classes, decision) = (a.classes.unwrap(), a.decision.unwrap());
                for cell in 0..g.points() {
                    let z = reference.values[cell];
                    assert!(
                        classes[cell] == expected[cell] || (z - threshold).abs() < 1e-4,
                        "{what}: class at cell {cell} (z = {z})"
                    );
                }
                assert!(decision.contains(&1), "{what}: no boundary");
                let marked = decision.iter().filter(|&&d| d == 1).count();
                assert!(marked < g.points() / 5, "{what}: {marked} boundary cells");
            }
        }
    }
}

/// The native CPU engine and the GPU engine on every path of the adapter, for `m`.
fn every_engine(m: &Mlp) -> Vec<Box<dyn faultline_model::GridEngine>> {
    let mut engines: Vec<Box<dyn faultline_model::GridEngine>> =
        vec![Box::new(faultline_cpu::CpuEvaluator::new(m).unwrap())];
    for ctx in contexts() {
        engines.push(Box::new(
            GridEvaluator::new(&ctx, m, KernelOptions::default()).unwrap(),
        ));
    }
    engines
}
