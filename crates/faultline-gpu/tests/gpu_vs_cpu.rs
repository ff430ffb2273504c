//! The GPU kernels against their CPU twins in faultline-model.
//!
//! With FAULTLINE_REQUIRE_GPU=1 (CI) a missing adapter fails these tests; without it they
//! print a note and pass, so a machine without Vulkan can still run the rest.

use faultline_gpu::{
    CROSSING, EvalRequest, GpuContext, GpuPath, GridEvaluator, GridOutput, gpu_required,
};
use faultline_model::arrays::{Field, junctions};
use faultline_model::{Activation, Domain, GridSpec, Mlp, pair_index};
use faultline_shader::{Form, KernelOptions, Stores};

/// The adapter on its own path and on the hardware path (what a discrete GPU runs:
/// lane stores, readback copies), so both are tested on any adapter; empty without one.
fn contexts() -> Vec<GpuContext> {
    let mut out = Vec::new();
    for path in [None, Some(GpuPath::Hardware)] {
        match GpuContext::with_path(path) {
            Ok(ctx) => {
                eprintln!("adapter: {}", ctx.describe_with_path());
                if out.iter().all(|c: &GpuContext| c.path != ctx.path) {
                    out.push(ctx);
                }
            }
            Err(e) if gpu_required() => panic!("FAULTLINE_REQUIRE_GPU=1 but: {e}"),
            Err(e) => eprintln!("skipping GPU test: {e}"),
        }
    }
    out
}

/// Whether `ctx` can run packed kernels (64-bit integers in shaders); says so when not.
fn runs_packed(ctx: &GpuContext) -> bool {
    let yes = ctx.has_int64();
    if !yes {
        eprintln!(
            "no 64-bit integers on {}: packed kernels not run",
            ctx.describe()
        );
    }
    yes
}

/// A deterministic pseudo-random net (weights scaled by `sqrt(in)`).
fn net(widths: &[usize], hidden: Activation, output: Activation, seed: u64, scale: f32) -> Mlp {
    faultline_model::random::random_mlp(widths, hidden, output, seed, scale)
}

fn grid(w: usize, h: usize) -> GridSpec {
    GridSpec::new(Domain::new([-3.0, 2.5], [-2.0, 3.0]).unwrap(), w, h).unwrap()
}

const ALL: EvalRequest = EvalRequest {
    field: true,
    flags: true,
    pairs: true,
    max_band_rows: None,
};

/// The boundary kernel equals its CPU twin applied to the GPU's own field, bit for bit.
fn assert_twin_exact(out: &GridOutput, what: &str) {
    let field = Field {
        width: out.width,
        height: out.height,
        channels: out.channels,
        values: out.field.clone().unwrap(),
    };
    let classes = field.classes();
    assert_eq!(out.classes(), classes, "{what}: classes");
    assert_eq!(out.decision(), field.decision(), "{what}: decision");
    assert_eq!(
        out.junctions(),
        junctions(&classes, out.width, out.height),
        "{what}: junctions"
    );
    assert_eq!(
        out.pairs.as_ref().unwrap(),
        &field.pairs().unwrap(),
        "{what}: pairs"
    );
}

/// GPU vs the f64 reference: field within 1e-4 relative (+1e-5 absolute); the derived
/// arrays identical except where a pair difference is within 1e-4 of zero.
fn assert_matches_reference(mlp: &Mlp, g: &GridSpec, out: &GridOutput, what: &str) {
    let reference = Field::reference(mlp, g).unwrap();
    let gpu = out.field.as_ref().unwrap();
    let mut worst = 0.0f64;
    for (i, (&a, &b)) in gpu.iter().zip(&reference.values).enumerate() {
        let (a, b) = (f64::from(a), f64::from(b));
        let err = (a - b).abs();
        worst = worst.max(err / b.abs().max(1e-1));
        assert!(
            err <= 1e-5 + 1e-4 * b.abs(),
            "{what}: field[{i}] gpu {a} vs cpu {b}"
        );
    }
    let c = reference.channels;
    let (w, h) = (g.width, g.height);
    let near_tie = |cell: usize, i: usize, j: usize| {
        let z = reference.at(cell / w, cell % w);
        (f64::from(z[i]) - f64::from(z[j])).abs() < 1e-4
    };
    // A cell and the neighbours it is compared with.
    let around = |cell: usize| {
        let (r, col) = (cell / w, cell % w);
        let mut v = vec![cell];
        if col + 1 < w {
            v.push(cell + 1);
        }
        if r + 1 < h {
            v.push(cell + w);
        }
        v
    };
    let any_near_tie = |cell: usize| {
        around(cell)
            .into_iter()
            .any(|n| (0..c).any(|i| (i + 1..c).any(|j| near_tie(n, i, j))))
    };
    let (ref_classes, ref_pairs, ref_decision) = (
        reference.classes(),
        reference.pairs().unwrap(),
        reference.decision(),
    );
    let gpu_pairs = out.pairs.as_ref().unwrap();
    let mut excused = 0;
    for cell in 0..w * h {
        if out.classes()[cell] != ref_classes[cell] || out.decision()[cell] != ref_decision[cell] {
            assert!(
                any_near_tie(cell),
                "{what}: class/decision differ at cell {cell} off a near-tie"
            );
            excused += 1;
        }
        let diff = gpu_pairs[cell] ^ ref_pairs[cell];
        for i in 0..c {
            for j in i + 1..c {
                if diff >> pair_index(i, j, c) & 1 == 1 {
                    assert!(
                        around(cell).into_iter().any(|n| near_tie(n, i, j)),
                        "{what}: pair ({i},{j}) differs at cell {cell} off a near-tie"
                    );
                    excused += 1;
                }
            }
        }
    }
    eprintln!("{what}: worst relative field error {worst:.2e}, {excused} near-tie differences");
}

#[test]
fn random_nets_of_every_activation_match_the_reference() {
    for ctx in contexts() {
        let g = grid(61, 37);
        for m in faultline_model::random::test_suite() {
            let (h, output) = (
                m.layers()[0].activation,
                m.layers()[m.layers().len() - 1].activation,
            );
            for (lanes, form, stores) in [
                (4, Form::Unrolled, Stores::Lanes),
                (1, Form::Unrolled, Stores::Lanes),
                (4, Form::Looped, Stores::Lanes),
                (4, Form::Unrolled, Stores::Packed),
                (4, Form::Looped, Stores::Packed),
            ] {
                if stores == Stores::Packed && !runs_packed(&ctx) {
                    continue;
                }
                let what = format!(
                    "{} {h}/{output} lanes {lanes} {form:?} {stores:?}",
                    m.architecture()
                );
                let ev = GridEvaluator::new(
                    &ctx,
                    &m,
                    KernelOptions {
                        lanes,
                        form: Some(form),
                        stores,
                    },
                )
                .unwrap();
                let (out, _) = ev.evaluate(&g, &ALL).unwrap();
                assert_twin_exact(&out, &what);
                assert_matches_reference(&m, &g, &out, &what);
                if stores == Stores::Packed {
                    // Rows a multiple of 8 wide take the packed boundary pass.
                    let even = grid(64, 21);
                    let (out, _) = ev.evaluate(&even, &ALL).unwrap();
                    assert_twin_exact(&out, &format!("{what} 64 wide"));
                    assert_matches_reference(&m, &even, &out, &format!("{what} 64 wide"));
                }
            }
        }
    }
}

#[test]
fn tiled_runs_equal_untiled_bit_for_bit() {
    for ctx in contexts() {
        let m = net(
            &[2, 8, 8, 11],
            Activation::Tanh,
            Activation::Softmax,
            99,
            2.0,
        );
        let ev = GridEvaluator::new(&ctx, &m, KernelOptions::default()).unwrap();
        // 53 columns: the per-cell boundary pass; 56: the packed one where kernels are packed.
        for width in [53, 56] {
            tiled_equals_untiled(&ev, &grid(width, 45));
        }
        // A sigmoid first layer: 56 columns take the packed kernel's row path (first-layer
        // exponentials shared along rows) where kernels are packed.
        let m = net(
            &[2, 8, 8, 5],
            Activation::Sigmoid,
            Activation::Sigmoid,
            8,
            5.0,
        );
        let ev = GridEvaluator::new(&ctx, &m, KernelOptions::default()).unwrap();
        tiled_equals_untiled(&ev, &grid(56, 45));
    }
}

#[test]
fn row_shared_first_layer_matches_the_reference() {
    for ctx in contexts() {
        if !runs_packed(&ctx) {
            continue;
        }
        let options = KernelOptions {
            lanes: 4,
            form: Some(Form::Unrolled),
            stores: Stores::Packed,
        };
        // dx = 0.087 on 64 columns: |w dx| up to 0.06, 0.5, 18 and 43 (past ROW_RATIO_LIMIT, where
        // the evaluator falls back to the direct form).
        for scale in [1.0, 8.0, 300.0, 700.0] {
            let m = net(
                &[2, 6, 4],
                Activation::Sigmoid,
                Activation::Sigmoid,
                11,
                scale,
            );
            let ev = GridEvaluator::new(&ctx, &m, options).unwrap();
            assert!(ev.kernel().row_factor.is_some(), "a sigmoid first layer");
            let g = grid(64, 19);
            let (out, _) = ev.evaluate(&g, &ALL).unwrap();
            let what = format!("row path, weights x{scale}");
            assert_twin_exact(&out, &what);
            assert_matches_reference(&m, &g, &out, &what);
        }
    }
}

fn tiled_equals_untiled(ev: &GridEvaluator, g: &GridSpec) {
    let g = *g;
    let (whole, t) = ev.evaluate(&g, &ALL).unwrap();
    assert_eq!(t.bands, 1);
    assert!(
        whole.decision().contains(&1) && whole.junctions().contains(&1),
        "a vacuous test"
    );
    for rows in [1, 2, 7, 44] {
        let (tiled, t) = ev
            .evaluate(
                &g,
                &EvalRequest {
                    max_band_rows: Some(rows),
                    ..ALL
                },
            )
            .unwrap();
        assert_eq!(t.bands, 45usize.div_ceil(rows));
        assert_eq!(tiled, whole, "bands of {rows} rows");
    }
    // Without the field and pairs, the flags are the same too.
    let (lean, _) = ev
        .evaluate(
            &g,
            &EvalRequest {
                field: false,
                flags: true,
                pairs: false,
                max_band_rows: Some(5),
            },
        )
        .unwrap();
    assert_eq!(lean.flags, whole.flags);
    assert!(lean.field.is_none() && lean.pairs.is_none());
}

#[test]
fn one_row_one_column_and_one_output_grids() {
    for ctx in contexts() {
        let m = net(&[2, 5, 3], Activation::Sigmoid, Activation::Sigmoid, 5, 2.0);
        let ev = GridEvaluator::new(&ctx, &m, KernelOptions::default()).unwrap();
        for (w, h) in [(1, 1), (1, 9), (9, 1), (3, 2), (5, 5)] {
            let g = grid(w, h);
            let (out, _) = ev.evaluate(&g, &ALL).unwrap();
            assert_twin_exact(&out, &format!("{w}x{h}"));
            assert_matches_reference(&m, &g, &out, &format!("{w}x{h}"));
        }
        let single = net(&[2, 4, 1], Activation::Relu, Activation::Identity, 6, 1.0);
        let ev = GridEvaluator::new(&ctx, &single, KernelOptions::default()).unwrap();
        let (out, _) = ev.evaluate(&grid(9, 9), &ALL).unwrap();
        assert!(
            out.flags.iter().all(|&f| f == 0),
            "one output: class 0 everywhere, no boundaries"
        );
    }
}

/// Section 5.1 of the paper: for a 2-3-2 sigmoid net, z1 = z2 exactly where
/// `C0 + C1 e^B1 + C2 e^B2 + C3 e^B3 + C4 e^(B2+B3) + C5 e^(B1+B3) + C6 e^(B1+B2)
/// + C7 e^(B1+B2+B3) = 0`.
///
/// The paper prints B_i with a stray sign; multiplying sigma(s1) - sigma(s2) out over
/// prod_i (1 + e^-a_i), with a_i the hidden pre-activations, gives B_i = -a_i and the C's
/// exactly as printed, and the product is positive, so the sign of the closed form is the
/// sign of z1 - z2. The GPU's pair-(0, 1) crossings must be its sign changes.
#[test]
fn pair_crossings_follow_the_papers_closed_form() {
    for ctx in contexts() {
        let mut checked = 0;
        let mut crossings = 0;
        for seed in 0..6 {
            let m = net(
                &[2, 3, 2],
                Activation::Sigmoid,
                Activation::Sigmoid,
                1000 + seed,
                3.0,
            );
            let (l0, l1) = (&m.layers()[0], &m.layers()[1]);
            let w = |i: usize, k: usize| f64::from(l1.w(k, i)); // w_{y_i -> z_k}
            let d = |i: usize| w(i, 0) - w(i, 1);
            let db = f64::from(l1.bias[0]) - f64::from(l1.bias[1]);
            let c = [
                d(0) + d(1) + d(2) + db, // C0
                d(1) + d(2) + db,        // C1 (e^B1)
                d(0) + d(2) + db,        // C2 (e^B2)
                d(0) + d(1) + db,        // C3 (e^B3)
                d(0) + db,               // C4 (e^(B2+B3))
                d(1) + db,               // C5 (e^(B1+B3))
                d(2) + db,               // C6 (e^(B1+B2))
                db,                      // C7
            ];
            let closed_form = |x: f64, y: f64| {
                let b: Vec<f64> = (0..3)
                    .map(|i| {
                        -(f64::from(l0.w(i, 0)) * x
                            + f64::from(l0.w(i, 1)) * y
                            + f64::from(l0.bias[i]))
                    })
                    .collect();
                let e = |s: f64| s.exp();
                c[0] + c[1] * e(b[0])
                    + c[2] * e(b[1])
                    + c[3] * e(b[2])
                    + c[4] * e(b[1] + b[2])
                    + c[5] * e(b[0] + b[2])
                    + c[6] * e(b[0] + b[1])
                    + c[7] * e(b[0] + b[1] + b[2])
            };
            let g = grid(97, 83);
            let ev = GridEvaluator::new(&ctx, &m, KernelOptions::default()).unwrap();
            let (out, _) = ev.evaluate(&g, &ALL).unwrap();
            let pairs = out.pairs.unwrap();
            let (wd, ht) = (g.width, g.height);
            let sign = |r: usize, col: usize| closed_form(g.x(col), g.y(r)) > 0.0;
            let tie = |r: usize, col: usize| {
                let z = m.forward_f64(&[g.x(col), g.y(r)]);
                (z[0] - z[1]).abs() < 1e-4
            };
            for r in 0..ht {
                for col in 0..wd {
                    let mut near = tie(r, col);
                    let mut flips = false;
                    if col + 1 < wd {
                        near |= tie(r, col + 1);
                        flips |= sign(r, col) != sign(r, col + 1);
                    }
                    if r + 1 < ht {
                        near |= tie(r + 1, col);
                        flips |= sign(r, col) != sign(r + 1, col);
                    }
                    if near {
                        continue;
                    }
                    checked += 1;
                    crossings += usize::from(flips);
                    assert_eq!(
                        pairs[r * wd + col] & 1 == 1,
                        flips,
                        "seed {seed}: cell ({r}, {col})"
                    );
                }
            }
        }
        eprintln!("closed form: {checked} cells checked, {crossings} crossings");
        assert!(
            crossings > 50,
            "the nets should cross inside the grid ({crossings} crossings)"
        );
    }
}

/// The fused field-and-flags kernel (packed kernels of small nets, after
/// `prepare_fused`) gives the two-pass path's field and flags bit for bit: on row paths
/// and direct ones, partial groups of rows, single blocks, every band height, with and
/// without the field; and its flags are the CPU twin's on its own field.
#[test]
fn fused_kernel_equals_the_two_pass_path() {
    for ctx in contexts() {
        if !runs_packed(&ctx) {
            continue;
        }
        let options = KernelOptions {
            lanes: 4,
            form: Some(Form::Unrolled),
            stores: Stores::Packed,
        };
        let fused = EvalRequest {
            field: true,
            flags: true,
            pairs: false,
            max_band_rows: None,
        };
        let nets = [
            // The paper's shape: a sigmoid first layer takes the row path.
            net(
                &[2, 3, 3],
                Activation::Sigmoid,
                Activation::Sigmoid,
                22,
                8.0,
            ),
            // Two sign words, tanh and softmax: the direct path.
            net(&[2, 4, 3, 9], Activation::Tanh, Activation::Softmax, 0, 4.0),
            // Weights past ROW_RATIO_LIMIT: a sigmoid net on the direct path.
            net(
                &[2, 6, 4],
                Activation::Sigmoid,
                Activation::Sigmoid,
                4,
                700.0,
            ),
        ];
        for m in &nets {
            let ev = GridEvaluator::new(&ctx, m, options).unwrap();
            let what = m.architecture();
            for (w, h) in [(64, 45), (8, 21), (16, 3), (128, 37)] {
                let g = grid(w, h);
                assert!(ev.prepare_fused(&g, &fused).unwrap(), "{what}: fusable");
                let (two_pass, _) = ev.evaluate(&g, &ALL).unwrap();
                assert_twin_exact(&two_pass, &what);
                for rows in [None, Some(1), Some(16), Some(20)] {
                    let request = EvalRequest {
                        max_band_rows: rows,
                        ..fused
                    };
                    let (out, _) = ev.evaluate(&g, &request).unwrap();
                    let at = format!("{what} {w}x{h}, bands of {rows:?} rows");
                    assert_eq!(out.field, two_pass.field, "{at}: field");
                    assert_eq!(out.flags, two_pass.flags, "{at}: flags");
                    assert!(out.pairs.is_none());
                }
                if (w, h) == (64, 45) {
                    let crossings = two_pass.flags.iter().filter(|&&f| f & CROSSING != 0);
                    assert!(
                        two_pass.decision().contains(&1)
                            && two_pass.junctions().contains(&1)
                            && crossings.count() > 0,
                        "{what}: a vacuous test ({} decision, {} junction cells)",
                        two_pass.decision().iter().filter(|&&d| d == 1).count(),
                        two_pass.junctions().iter().filter(|&&d| d == 1).count(),
                    );
                }
            }
            // Flags alone: the pipeline without field stores.
            let g = grid(64, 45);
            let lean = EvalRequest {
                field: false,
                ..fused
            };
            assert!(ev.prepare_fused(&g, &lean).unwrap());
            let (out, _) = ev.evaluate(&g, &lean).unwrap();
            let (two_pass, _) = ev.evaluate(&g, &ALL).unwrap();
            assert_eq!(out.flags, two_pass.flags, "{what}: flags alone");
            assert!(out.field.is_none());
        }
    }
}

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
