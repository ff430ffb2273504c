//! Helpers shared by the GPU crate's tests: both GPU paths' contexts, seeded nets, grids,
//! and the checks against the CPU twins and the f64 reference.

#![allow(dead_code)]

use faultline_gpu::{EvalRequest, GpuContext, GpuPath, GridOutput, gpu_required};
use faultline_model::arrays::{Field, junctions};
use faultline_model::{Activation, Domain, GridSpec, Mlp, pair_index};
use faultline_shader::{Form, KernelOptions, Stores};

/// The adapter on its own path and on the hardware path (what a discrete GPU runs:
/// lane stores, readback copies), so both are tested on any adapter; empty without one.
pub fn contexts() -> Vec<GpuContext> {
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
pub fn runs_packed(ctx: &GpuContext) -> bool {
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
pub fn net(widths: &[usize], hidden: Activation, output: Activation, seed: u64, scale: f32) -> Mlp {
    faultline_model::random::random_mlp(widths, hidden, output, seed, scale)
}

pub fn grid(w: usize, h: usize) -> GridSpec {
    GridSpec::new(Domain::new([-3.0, 2.5], [-2.0, 3.0]).unwrap(), w, h).unwrap()
}

pub const ALL: EvalRequest = EvalRequest {
    field: true,
    flags: true,
    pairs: true,
    max_band_rows: None,
};

/// The boundary kernel equals its CPU twin applied to the GPU's own field, bit for bit.
pub fn assert_twin_exact(out: &GridOutput, what: &str) {
    let field = Field {
        width: out.width,
        height: out.height,
        channels: out.channels,
        values: out.field.clone().unwrap(),
        threshold: out.threshold,
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
pub fn assert_matches_reference(mlp: &Mlp, g: &GridSpec, out: &GridOutput, what: &str) {
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

/// Options of a packed kernel with the unrolled network (the packed-only tests' kernel).
pub const PACKED_UNROLLED: KernelOptions = KernelOptions {
    lanes: 4,
    form: Some(Form::Unrolled),
    stores: Stores::Packed,
};
