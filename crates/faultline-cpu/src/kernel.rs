//! Block operations: dense layers, activations and stores over blocks of LANES points.
// Lane loops are written as counted `for l in 0..LANES` loops on purpose: that is the form
// LLVM vectorises reliably.
#![allow(clippy::needless_range_loop)]

use faultline_model::{Activation, Layer};

use crate::math::{self, madd};

/// Points per block: one AVX-512 register of `f32`, two AVX2 registers.
pub const LANES: usize = 16;

/// One value per point of a block.
pub(crate) type Block = [f32; LANES];

/// The two activation buffers a block's evaluation ping-pongs between.
pub(crate) struct Scratch {
    /// Holds a layer's input and, after [`Scratch::run`], the result.
    pub a: Vec<Block>,
    b: Vec<Block>,
}

impl Scratch {
    /// Buffers wide enough for `widest` neurons.
    pub fn new(widest: usize) -> Scratch {
        Scratch {
            a: vec![[0.0; LANES]; widest],
            b: vec![[0.0; LANES]; widest],
        }
    }

    /// Runs `layers` on the first `width` blocks of `a`; the output is left in `a`.
    #[inline(always)]
    pub fn run<const FMA: bool>(&mut self, layers: &[Layer], mut width: usize) {
        for layer in layers {
            dense::<FMA>(layer, &self.a[..width], &mut self.b[..layer.outputs]);
            activate::<FMA>(layer.activation, &mut self.b[..layer.outputs]);
            width = layer.outputs;
            std::mem::swap(&mut self.a, &mut self.b);
        }
    }
}

/// Applies `f` to every lane of every block (a plain counted loop, which vectorises).
#[inline(always)]
pub(crate) fn map_lanes(blocks: &mut [Block], f: impl Fn(f32) -> f32) {
    for v in blocks {
        for l in 0..LANES {
            v[l] = f(v[l]);
        }
    }
}

/// Applies `activation` to a layer's pre-activations, softmax included.
#[inline(always)]
pub(crate) fn activate<const FMA: bool>(activation: Activation, blocks: &mut [Block]) {
    match activation {
        Activation::Identity => {}
        Activation::Softmax => softmax::<FMA>(blocks),
        Activation::Sigmoid => map_lanes(blocks, math::sigmoid::<FMA>),
        Activation::Tanh => map_lanes(blocks, math::tanh::<FMA>),
        Activation::Relu => map_lanes(blocks, |x| x.max(0.0)),
        Activation::LeakyRelu(slope) => {
            let slope = slope.get();
            map_lanes(blocks, |x| if x > 0.0 { x } else { x * slope })
        }
    }
}

/// Softmax over the outputs, lane by lane.
#[inline(always)]
fn softmax<const FMA: bool>(z: &mut [Block]) {
    let mut max = z[0];
    for o in &z[1..] {
        for l in 0..LANES {
            max[l] = max[l].max(o[l]);
        }
    }
    let mut sum = [0.0f32; LANES];
    for o in z.iter_mut() {
        for l in 0..LANES {
            o[l] = math::exp::<FMA>(o[l] - max[l]);
            sum[l] += o[l];
        }
    }
    // The largest term is e^0 = 1, so the sum is at least 1.
    for l in 0..LANES {
        sum[l] = math::recip_ge1::<FMA>(sum[l]);
    }
    for o in z.iter_mut() {
        for l in 0..LANES {
            o[l] *= sum[l];
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

/// Writes the first `count` points of `blocks` (one block per channel) to `out` in
/// point-major order (`out[p * C + k]`), the layout of the field.
#[inline(always)]
pub(crate) fn store<const WIDE: bool>(blocks: &[Block], count: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if WIDE && count == LANES {
        // SAFETY: WIDE is only set on the AVX-512 path (`row_avx512`).
        unsafe {
            match blocks.len() {
                2 => return store_avx512::<2>(blocks, out),
                3 => return store_avx512::<3>(blocks, out),
                4 => return store_avx512::<4>(blocks, out),
                5 => return store_avx512::<5>(blocks, out),
                6 => return store_avx512::<6>(blocks, out),
                7 => return store_avx512::<7>(blocks, out),
                8 => return store_avx512::<8>(blocks, out),
                _ => {}
            }
        }
    }
    if count == LANES {
        match blocks.len() {
            1 => return store_full::<1>(blocks, out),
            2 => return store_full::<2>(blocks, out),
            3 => return store_full::<3>(blocks, out),
            4 => return store_full::<4>(blocks, out),
            5 => return store_full::<5>(blocks, out),
            6 => return store_full::<6>(blocks, out),
            7 => return store_full::<7>(blocks, out),
            8 => return store_full::<8>(blocks, out),
            _ => {}
        }
    }
    let channels = blocks.len();
    for l in 0..count {
        for (k, z) in blocks.iter().enumerate() {
            out[l * channels + k] = z[l];
        }
    }
}

/// A whole block of `C` channels (2 <= C <= 8) interleaved with AVX-512 permutes: output
/// vector v gathers, for each channel k, the lanes whose point-major index is `k` mod C,
/// from full-register loads of the blocks (partial loads of blocks just stored would stall
/// store forwarding, which is what the compiler makes of the portable version).
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn store_avx512<const C: usize>(blocks: &[Block], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let out = &mut out[..LANES * C];
    let mut loaded = [_mm512_setzero_ps(); C];
    for (k, block) in blocks[..C].iter().enumerate() {
        // SAFETY: a block is 16 f32, readable.
        loaded[k] = unsafe { _mm512_loadu_ps(block.as_ptr()) };
    }
    for v in 0..C {
        let mut packed = _mm512_setzero_ps();
        for (k, &source) in loaded.iter().enumerate() {
            let (index, mask) = &Interleave::<C>::TABLE[v][k];
            // SAFETY: `index` is 16 i32, readable.
            let index = unsafe { _mm512_loadu_si512(index.as_ptr().cast()) };
            packed = _mm512_mask_permutexvar_ps(packed, *mask, index, source);
        }
        // SAFETY: `out` holds LANES * C values; this writes 16 of them at 16 v.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr().add(v * LANES), packed) };
    }
}

/// Permutation tables of [`store_avx512`], computed at compile time.
#[cfg(target_arch = "x86_64")]
struct Interleave<const C: usize>;

#[cfg(target_arch = "x86_64")]
impl<const C: usize> Interleave<C> {
    /// For output vector v and channel k: the source lane of each output lane, and the
    /// output lanes that come from channel k.
    const TABLE: [[([i32; LANES], u16); C]; C] = {
        let mut table = [[([0i32; LANES], 0u16); C]; C];
        let mut v = 0;
        while v < C {
            let mut p = 0;
            while p < LANES {
                let g = v * LANES + p;
                table[v][g % C].0[p] = (g / C) as i32;
                table[v][g % C].1 |= 1 << p;
                p += 1;
            }
            v += 1;
        }
        table
    };
}

/// A whole block with a channel count known at compile time, which LLVM turns into
/// shuffles and full-width stores.
#[inline(always)]
fn store_full<const C: usize>(blocks: &[Block], out: &mut [f32]) {
    // Whole blocks copied into values first: shuffling those in registers avoids partial
    // loads of blocks just stored (which stall store forwarding).
    let blocks: [Block; C] = std::array::from_fn(|k| blocks[k]);
    let mut packed = [[0.0f32; C]; LANES];
    for l in 0..LANES {
        for k in 0..C {
            packed[l][k] = blocks[k][l];
        }
    }
    out[..LANES * C].copy_from_slice(packed.as_flattened());
}
