//! The per-row kernel: the whole network over blocks of LANES points.
// Lane loops are written as counted `for l in 0..LANES` loops on purpose: that is the form
// LLVM vectorises reliably.
#![allow(clippy::needless_range_loop)]

use faultline_model::{Activation, Layer, Mlp};

use crate::math;

/// Points per block: one AVX-512 register of `f32`, two AVX2 registers.
pub const LANES: usize = 16;

type Block = [f32; LANES];

/// `acc + a * b`, fused when the instruction set has FMA.
#[inline(always)]
fn madd<const FMA: bool>(acc: f32, a: f32, b: f32) -> f32 {
    if FMA { a.mul_add(b, acc) } else { acc + a * b }
}

/// Applies `f` to every lane of every block (a plain counted loop, which vectorises).
#[inline(always)]
fn map_lanes(blocks: &mut [Block], f: impl Fn(f32) -> f32) {
    for v in blocks {
        for l in 0..LANES {
            v[l] = f(v[l]);
        }
    }
}

#[inline(always)]
fn activate(activation: Activation, blocks: &mut [Block]) {
    match activation {
        Activation::Identity | Activation::Softmax => {}
        Activation::Sigmoid => map_lanes(blocks, math::sigmoid),
        Activation::Tanh => map_lanes(blocks, math::tanh),
        Activation::Relu => map_lanes(blocks, |x| x.max(0.0)),
        Activation::LeakyRelu => map_lanes(blocks, |x| if x > 0.0 { x } else { x * 0.01 }),
    }
}

/// Softmax over the outputs, lane by lane.
#[inline(always)]
fn softmax(z: &mut [Block]) {
    let mut max = z[0];
    for o in &z[1..] {
        for l in 0..LANES {
            max[l] = max[l].max(o[l]);
        }
    }
    let mut sum = [0.0f32; LANES];
    for o in z.iter_mut() {
        for l in 0..LANES {
            o[l] = math::exp(o[l] - max[l]);
            sum[l] += o[l];
        }
    }
    for o in z.iter_mut() {
        for l in 0..LANES {
            o[l] /= sum[l];
        }
    }
}

/// One dense layer on a block: `out[o] = b[o] + sum_i w[o][i] in[i]`, four outputs at a
/// time so each input block loaded serves four multiply-adds.
#[inline(always)]
fn dense<const FMA: bool>(layer: &Layer, input: &[Block], out: &mut [Block]) {
    let n_in = layer.inputs;
    let mut o = 0;
    while o + 4 <= layer.outputs {
        let w = [
            &layer.weight[o * n_in..(o + 1) * n_in],
            &layer.weight[(o + 1) * n_in..(o + 2) * n_in],
            &layer.weight[(o + 2) * n_in..(o + 3) * n_in],
            &layer.weight[(o + 3) * n_in..(o + 4) * n_in],
        ];
        let mut acc = [
            [layer.bias[o]; LANES],
            [layer.bias[o + 1]; LANES],
            [layer.bias[o + 2]; LANES],
            [layer.bias[o + 3]; LANES],
        ];
        for (i, x) in input.iter().enumerate() {
            for l in 0..LANES {
                acc[0][l] = madd::<FMA>(acc[0][l], w[0][i], x[l]);
                acc[1][l] = madd::<FMA>(acc[1][l], w[1][i], x[l]);
                acc[2][l] = madd::<FMA>(acc[2][l], w[2][i], x[l]);
                acc[3][l] = madd::<FMA>(acc[3][l], w[3][i], x[l]);
            }
        }
        out[o..o + 4].copy_from_slice(&acc);
        o += 4;
    }
    for o in o..layer.outputs {
        let w = &layer.weight[o * n_in..(o + 1) * n_in];
        let mut acc = [layer.bias[o]; LANES];
        for (i, x) in input.iter().enumerate() {
            for l in 0..LANES {
                acc[l] = madd::<FMA>(acc[l], w[i], x[l]);
            }
        }
        out[o] = acc;
    }
}

/// Evaluates one grid row: `xs` are the row's x coordinates, `y` its y; `out` receives
/// `xs.len() * C` values.
#[inline(always)]
fn row<const FMA: bool>(mlp: &Mlp, xs: &[f32], y: f32, out: &mut [f32]) {
    let widest = mlp.widths().into_iter().max().unwrap_or(2);
    let mut a = vec![[0.0f32; LANES]; widest];
    let mut b = vec![[0.0f32; LANES]; widest];
    let channels = mlp.outputs();
    for (block, chunk) in xs.chunks(LANES).enumerate() {
        let mut x = [0.0f32; LANES];
        x[..chunk.len()].copy_from_slice(chunk);
        a[0] = x;
        a[1] = [y; LANES];
        let mut width = 2;
        for layer in mlp.layers() {
            dense::<FMA>(layer, &a[..width], &mut b[..layer.outputs]);
            activate(layer.activation, &mut b[..layer.outputs]);
            if layer.activation == Activation::Softmax {
                softmax(&mut b[..layer.outputs]);
            }
            width = layer.outputs;
            std::mem::swap(&mut a, &mut b);
        }
        let first = block * LANES;
        for l in 0..chunk.len() {
            let at = (first + l) * channels;
            for (k, z) in a[..channels].iter().enumerate() {
                out[at + k] = z[l];
            }
        }
    }
}

/// The row kernel compiled for the build target.
pub fn row_baseline(mlp: &Mlp, xs: &[f32], y: f32, out: &mut [f32]) {
    row::<false>(mlp, xs, y, out)
}

/// The row kernel compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub unsafe fn row_avx2(mlp: &Mlp, xs: &[f32], y: f32, out: &mut [f32]) {
    row::<true>(mlp, xs, y, out)
}

/// The row kernel compiled for AVX-512.
///
/// # Safety
/// The CPU must support AVX-512F (which implies FMA).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
pub unsafe fn row_avx512(mlp: &Mlp, xs: &[f32], y: f32, out: &mut [f32]) {
    row::<true>(mlp, xs, y, out)
}
