//! The GPU kernels against their CPU twins in faultline-model.
//!
//! With FAULTLINE_REQUIRE_GPU=1 (CI) a missing adapter fails these tests; without it they
//! print a note and pass, so a machine without Vulkan can still run the rest.

mod common;

use common::*;
use faultline_gpu::{CROSSING, EvalRequest, GridEvaluator};
use faultline_model::{Activation, GridSpec};
use faultline_shader::{Form, KernelOptions, Stores};

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
        let options = PACKED_UNROLLED;
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
        // One output: two classes split at the threshold (0 after identity), no pairs.
        assert_twin_exact(&out, "one output");
        assert_matches_reference(&single, &grid(9, 9), &out, "one output");
        assert!(out.pairs.as_ref().unwrap().iter().all(|&p| p == 0));
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
        let options = PACKED_UNROLLED;
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
