//! One forward pass over the grid that keeps what the analysis needs of the hidden
//! layers: per neuron how often it is active and its output's range, and the distinct
//! on/off patterns of the piecewise-linear neurons. Float32, as every engine computes;
//! blocks of points laid out neuron-major so the inner loops run over points.

use std::collections::HashSet;

use faultline_cpu::Isa;
use faultline_model::{Activation, GridSpec, Layer, Mlp};
use rayon::prelude::*;

/// Points evaluated together (a multiple of [`POINTS`]).
const BLOCK: usize = 256;

/// Points per register tile of the dense layers.
const POINTS: usize = 16;

/// Outputs per register tile of the dense layers.
const TILE: usize = 8;

/// A layer's weights laid out for the register tiles: for each tile of [`TILE`] outputs,
/// for each input, the tile's weights (zero past the last output).
struct Tiled {
    weights: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Tiled {
    fn new(layer: &Layer) -> Tiled {
        let tiles = layer.outputs.div_ceil(TILE);
        let mut weights = vec![0.0; tiles * layer.inputs * TILE];
        for o in 0..layer.outputs {
            for i in 0..layer.inputs {
                weights[((o / TILE) * layer.inputs + i) * TILE + o % TILE] = layer.w(o, i);
            }
        }
        Tiled {
            weights,
            inputs: layer.inputs,
            outputs: layer.outputs,
        }
    }
}

/// `dst[o][p] = bias[o] + sum_i w[o][i] src[i][p]` for `n` points (a multiple of
/// [`POINTS`]), neuron-major, in register tiles of [`TILE`] outputs by [`POINTS`] points
/// (the portable form; the x86-64 ones below hold the tile in vector registers).
fn dense<const FMA: bool>(t: &Tiled, bias: &[f32], src: &[f32], dst: &mut [f32], n: usize) {
    for tile in 0..t.outputs.div_ceil(TILE) {
        let o0 = tile * TILE;
        let here = TILE.min(t.outputs - o0);
        let w = &t.weights[tile * t.inputs * TILE..(tile + 1) * t.inputs * TILE];
        for p0 in (0..n).step_by(POINTS) {
            let mut acc = [[0.0f32; POINTS]; TILE];
            for (k, a) in acc.iter_mut().enumerate().take(here) {
                *a = [bias[o0 + k]; POINTS];
            }
            for i in 0..t.inputs {
                let s: &[f32; POINTS] = src[i * n + p0..i * n + p0 + POINTS]
                    .try_into()
                    .expect("a full tile");
                let wi: &[f32; TILE] = w[i * TILE..(i + 1) * TILE].try_into().expect("a tile");
                for k in 0..TILE {
                    for l in 0..POINTS {
                        acc[k][l] = if FMA {
                            wi[k].mul_add(s[l], acc[k][l])
                        } else {
                            acc[k][l] + wi[k] * s[l]
                        };
                    }
                }
            }
            for (k, a) in acc.iter().enumerate().take(here) {
                dst[(o0 + k) * n + p0..(o0 + k) * n + p0 + POINTS].copy_from_slice(a);
            }
        }
    }
}

/// [`dense`] with 512-bit registers: each tile's eight accumulators of 16 points stay in
/// registers across the inputs.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn dense_avx512(t: &Tiled, bias: &[f32], src: &[f32], dst: &mut [f32], n: usize) {
    use std::arch::x86_64::*;
    assert!(src.len() >= t.inputs * n && dst.len() >= t.outputs * n && n.is_multiple_of(POINTS));
    for tile in 0..t.outputs.div_ceil(TILE) {
        let o0 = tile * TILE;
        let here = TILE.min(t.outputs - o0);
        let w = &t.weights[tile * t.inputs * TILE..(tile + 1) * t.inputs * TILE];
        for p0 in (0..n).step_by(POINTS) {
            let mut acc = [_mm512_setzero_ps(); TILE];
            for (k, a) in acc.iter_mut().enumerate().take(here) {
                *a = _mm512_set1_ps(bias[o0 + k]);
            }
            for i in 0..t.inputs {
                // SAFETY: `i * n + p0 + POINTS <= t.inputs * n <= src.len()` (asserted).
                let s = unsafe { _mm512_loadu_ps(src.as_ptr().add(i * n + p0)) };
                for (k, a) in acc.iter_mut().enumerate() {
                    *a = _mm512_fmadd_ps(_mm512_set1_ps(w[i * TILE + k]), s, *a);
                }
            }
            for (k, a) in acc.iter().enumerate().take(here) {
                // SAFETY: `(o0 + k) * n + p0 + POINTS <= t.outputs * n <= dst.len()`.
                unsafe { _mm512_storeu_ps(dst.as_mut_ptr().add((o0 + k) * n + p0), *a) };
            }
        }
    }
}

/// [`dense`] with 256-bit registers (two per 16 points).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dense_avx2(t: &Tiled, bias: &[f32], src: &[f32], dst: &mut [f32], n: usize) {
    use std::arch::x86_64::*;
    assert!(src.len() >= t.inputs * n && dst.len() >= t.outputs * n && n.is_multiple_of(POINTS));
    for tile in 0..t.outputs.div_ceil(TILE) {
        let o0 = tile * TILE;
        let here = TILE.min(t.outputs - o0);
        let w = &t.weights[tile * t.inputs * TILE..(tile + 1) * t.inputs * TILE];
        for p0 in (0..n).step_by(POINTS) {
            let mut acc = [[_mm256_setzero_ps(); 2]; TILE];
            for (k, a) in acc.iter_mut().enumerate().take(here) {
                *a = [_mm256_set1_ps(bias[o0 + k]); 2];
            }
            for i in 0..t.inputs {
                // SAFETY: `i * n + p0 + POINTS <= t.inputs * n <= src.len()` (asserted).
                let (s0, s1) = unsafe {
                    let at = src.as_ptr().add(i * n + p0);
                    (_mm256_loadu_ps(at), _mm256_loadu_ps(at.add(8)))
                };
                for (k, a) in acc.iter_mut().enumerate() {
                    let wk = _mm256_set1_ps(w[i * TILE + k]);
                    a[0] = _mm256_fmadd_ps(wk, s0, a[0]);
                    a[1] = _mm256_fmadd_ps(wk, s1, a[1]);
                }
            }
            for (k, a) in acc.iter().enumerate().take(here) {
                // SAFETY: `(o0 + k) * n + p0 + POINTS <= t.outputs * n <= dst.len()`.
                unsafe {
                    let at = dst.as_mut_ptr().add((o0 + k) * n + p0);
                    _mm256_storeu_ps(at, a[0]);
                    _mm256_storeu_ps(at.add(8), a[1]);
                }
            }
        }
    }
}

/// [`dense`] with the best instruction set of this CPU.
#[inline(always)]
fn dense_best(isa: Isa, t: &Tiled, bias: &[f32], src: &[f32], dst: &mut [f32], n: usize) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` came from `Isa::detect`, so the CPU has AVX-512F, AVX2 and FMA.
        Isa::Avx512 => unsafe { dense_avx512(t, bias, src, dst, n) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` came from `Isa::detect`, so the CPU has AVX2 and FMA.
        Isa::Avx2Fma => unsafe { dense_avx2(t, bias, src, dst, n) },
        _ => dense::<false>(t, bias, src, dst, n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_model::random::random_mlp;

    #[test]
    fn every_instruction_set_computes_the_same_layer() {
        let mlp = random_mlp(&[5, 13, 3], Activation::Relu, Activation::Identity, 4, 1.0);
        let layer = &mlp.layers()[0];
        let t = Tiled::new(layer);
        let n = 32;
        let src: Vec<f32> = (0..5 * n).map(|k| (k as f32 * 0.37).sin()).collect();
        let mut want = vec![0.0f32; 13 * n];
        for o in 0..13 {
            for p in 0..n {
                want[o * n + p] =
                    layer.bias[o] + (0..5).map(|i| layer.w(o, i) * src[i * n + p]).sum::<f32>();
            }
        }
        for isa in Isa::supported() {
            let mut got = vec![0.0f32; 13 * n];
            dense_best(isa, &t, &layer.bias, &src, &mut got, n);
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-5, "{isa:?}: {a} vs {b}");
            }
        }
    }
}

/// What one hidden neuron did over the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NeuronStats {
    /// Samples where it is active ([`is_active`]).
    pub active: u64,
    /// Its smallest output.
    pub min: f32,
    /// Its largest output.
    pub max: f32,
}

impl NeuronStats {
    fn empty() -> NeuronStats {
        NeuronStats {
            active: 0,
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
        }
    }

    fn merge(&mut self, other: &NeuronStats) {
        self.active += other.active;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// Whether a neuron with `activation` is active at pre-activation `pre` (output `post`):
/// relu and leaky relu above 0; sigmoid and tanh off their asymptotes by more than 0.01;
/// identity anywhere but exactly 0.
#[inline]
pub fn is_active(activation: Activation, pre: f32, post: f32) -> bool {
    match activation {
        Activation::Relu | Activation::LeakyRelu(_) => pre > 0.0,
        Activation::Sigmoid => post > 0.01 && post < 0.99,
        Activation::Tanh => post.abs() < 0.99,
        Activation::Identity | Activation::Softmax => pre != 0.0,
    }
}

/// Whether a neuron's on/off state is a linear piece of the network (relu, leaky relu).
pub fn is_piecewise(activation: Activation) -> bool {
    matches!(activation, Activation::Relu | Activation::LeakyRelu(_))
}

/// An element-wise activation over a layer's values (the rule of `Activation::apply`,
/// compiled here so it vectorises with the rest of the pass).
#[inline(always)]
fn activate(activation: Activation, values: &mut [f32]) {
    match activation {
        Activation::Identity | Activation::Softmax => {}
        Activation::Relu => values.iter_mut().for_each(|v| *v = v.max(0.0)),
        Activation::LeakyRelu(slope) => {
            let slope = slope.get();
            values
                .iter_mut()
                .for_each(|v| *v = if *v > 0.0 { *v } else { *v * slope })
        }
        Activation::Sigmoid => values
            .iter_mut()
            .for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
        Activation::Tanh => values.iter_mut().for_each(|v| *v = v.tanh()),
    }
}

/// How many of a neuron's samples are active ([`is_active`]), one loop per kind so each
/// vectorises.
#[inline(always)]
fn count_active(activation: Activation, pre: &[f32], post: &[f32]) -> u64 {
    let n = match activation {
        Activation::Relu | Activation::LeakyRelu(_) => pre.iter().filter(|&&v| v > 0.0).count(),
        Activation::Sigmoid => post.iter().filter(|&&v| v > 0.01 && v < 0.99).count(),
        Activation::Tanh => post.iter().filter(|&&v| v.abs() < 0.99).count(),
        Activation::Identity | Activation::Softmax => pre.iter().filter(|&&v| v != 0.0).count(),
    };
    n as u64
}

/// The smallest and largest of `values`, lane-wise so it vectorises.
#[inline(always)]
fn range(values: &[f32]) -> (f32, f32) {
    const LANES: usize = 16;
    let (mut lo, mut hi) = ([f32::INFINITY; LANES], [f32::NEG_INFINITY; LANES]);
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for l in 0..LANES {
            lo[l] = if chunk[l] < lo[l] { chunk[l] } else { lo[l] };
            hi[l] = if chunk[l] > hi[l] { chunk[l] } else { hi[l] };
        }
    }
    let mut lo = lo.iter().copied().fold(f32::INFINITY, f32::min);
    let mut hi = hi.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for &v in chunks.remainder() {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, hi)
}

/// What every row of the pass shares.
struct Shape<'a> {
    layers: &'a [Layer],
    tiled: &'a [Tiled],
    grid: &'a GridSpec,
    isa: Isa,
    piecewise: bool,
    words: usize,
}

/// Row `r` of the pass: its outputs into `row`, its statistics into `acc`.
#[inline(always)]
fn row_pass(shape: &Shape, r: usize, row: &mut [f32], acc: &mut Acc) {
    let (layers, grid, words) = (shape.layers, shape.grid, shape.words);
    let c = layers.last().expect("a layer").outputs;
    let w = grid.width;
    let y = grid.y(r) as f32;
    let mut last: Option<Vec<u64>> = None;
    let widest = layers.iter().map(|l| l.outputs).max().unwrap_or(2).max(2);
    let mut pre = vec![0.0f32; widest * BLOCK];
    let mut post = vec![0.0f32; widest * BLOCK];
    let mut values = vec![0.0f32; widest * BLOCK];
    let mut pattern = vec![0u64; BLOCK * words];
    let mut word = vec![0u64; words];
    for start in (0..w).step_by(BLOCK) {
        // `n` points, padded to `np` (the last column repeated) for the tiles.
        let n = BLOCK.min(w - start);
        let np = n.next_multiple_of(POINTS);
        for p in 0..np {
            values[p] = grid.x(start + p.min(n - 1)) as f32;
            values[np + p] = y;
        }
        // Pattern words neuron-major too: word k of point p at [k * n + p].
        pattern[..n * words].fill(0);
        let mut bit = 0usize;
        for (k, layer) in layers.iter().enumerate() {
            let m = layer.outputs * np;
            dense_best(
                shape.isa,
                &shape.tiled[k],
                &layer.bias,
                &values[..layer.inputs * np],
                &mut pre[..m],
                np,
            );
            post[..m].copy_from_slice(&pre[..m]);
            if layer.activation == Activation::Softmax {
                let mut z = vec![0.0f32; layer.outputs];
                for p in 0..n {
                    for (o, v) in z.iter_mut().enumerate() {
                        *v = post[o * np + p];
                    }
                    Activation::Softmax.apply(&mut z);
                    for (o, &v) in z.iter().enumerate() {
                        post[o * np + p] = v;
                    }
                }
            } else {
                activate(layer.activation, &mut post[..m]);
            }
            if k + 1 < layers.len() {
                let stats = &mut acc.layers[k];
                for (o, s) in stats.iter_mut().enumerate() {
                    let (pre_o, post_o) = (&pre[o * np..o * np + n], &post[o * np..o * np + n]);
                    s.active += count_active(layer.activation, pre_o, post_o);
                    let (lo, hi) = range(post_o);
                    s.min = s.min.min(lo);
                    s.max = s.max.max(hi);
                    if shape.piecewise && is_piecewise(layer.activation) {
                        let word = &mut pattern[(bit / 64) * n..(bit / 64 + 1) * n];
                        let shift = bit % 64;
                        for (w, &v) in word.iter_mut().zip(pre_o) {
                            *w |= u64::from(v > 0.0) << shift;
                        }
                        bit += 1;
                    }
                }
                std::mem::swap(&mut values, &mut post);
            } else {
                for p in 0..n {
                    let cell = &mut row[(start + p) * c..(start + p + 1) * c];
                    for (o, v) in cell.iter_mut().enumerate() {
                        *v = post[o * np + p];
                    }
                }
            }
        }
        if shape.piecewise {
            for p in 0..n {
                for (k, w) in word.iter_mut().enumerate() {
                    *w = pattern[k * n + p];
                }
                // Neighbours mostly share a pattern: insert only where it changes.
                if last.as_deref() != Some(&word[..]) {
                    acc.patterns.insert(word.clone().into());
                    last = Some(word.clone());
                }
            }
        }
    }
}

/// [`row_pass`] compiled for AVX-512 (its loops over points vectorise 16 wide).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn row_avx512(shape: &Shape, r: usize, row: &mut [f32], acc: &mut Acc) {
    row_pass(shape, r, row, acc)
}

/// [`row_pass`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_avx2(shape: &Shape, r: usize, row: &mut [f32], acc: &mut Acc) {
    row_pass(shape, r, row, acc)
}

/// [`row_pass`] with the best instruction set of this CPU.
fn row_best(shape: &Shape, r: usize, row: &mut [f32], acc: &mut Acc) {
    match shape.isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` came from `Isa::detect`, so the CPU has AVX-512F, AVX2 and FMA.
        Isa::Avx512 => unsafe { row_avx512(shape, r, row, acc) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` came from `Isa::detect`, so the CPU has AVX2 and FMA.
        Isa::Avx2Fma => unsafe { row_avx2(shape, r, row, acc) },
        _ => row_pass(shape, r, row, acc),
    }
}

/// The pass's results.
#[derive(Debug, Clone)]
pub struct Pass {
    /// `[H, W, C]`: the outputs at every sample.
    pub field: Vec<f32>,
    /// Per hidden layer, per neuron.
    pub layers: Vec<Vec<NeuronStats>>,
    /// Distinct on/off patterns of the relu and leaky relu neurons, when every hidden
    /// layer is relu, leaky relu or identity (a piecewise-linear network) and there is
    /// at least one such neuron.
    pub patterns: Option<usize>,
}

struct Acc {
    layers: Vec<Vec<NeuronStats>>,
    patterns: HashSet<Box<[u64]>>,
}

/// Runs `mlp` (two inputs) over `grid`.
pub fn run(mlp: &Mlp, grid: &GridSpec) -> Pass {
    let layers = mlp.layers();
    let hidden = &layers[..layers.len() - 1];
    let piecewise = hidden
        .iter()
        .all(|l| is_piecewise(l.activation) || l.activation == Activation::Identity)
        && hidden.iter().any(|l| is_piecewise(l.activation));
    let bits: usize = hidden
        .iter()
        .filter(|l| is_piecewise(l.activation))
        .map(|l| l.outputs)
        .sum();
    let words = bits.div_ceil(64);
    let c = mlp.outputs();
    let (w, h) = (grid.width, grid.height);
    let empty = || Acc {
        layers: hidden
            .iter()
            .map(|l| vec![NeuronStats::empty(); l.outputs])
            .collect(),
        patterns: HashSet::new(),
    };
    let mut field = vec![0.0f32; w * h * c];
    let isa = Isa::detect();
    let tiled: Vec<Tiled> = layers.iter().map(Tiled::new).collect();
    let shape = Shape {
        layers,
        tiled: &tiled,
        grid,
        isa,
        piecewise,
        words,
    };
    let acc = field
        .par_chunks_mut(w * c)
        .enumerate()
        .fold(empty, |mut acc, (r, row)| {
            row_best(&shape, r, row, &mut acc);
            acc
        })
        .reduce(empty, |mut a, b| {
            for (la, lb) in a.layers.iter_mut().zip(&b.layers) {
                for (na, nb) in la.iter_mut().zip(lb) {
                    na.merge(nb);
                }
            }
            a.patterns.extend(b.patterns);
            a
        });
    Pass {
        field,
        layers: acc.layers,
        patterns: piecewise.then_some(acc.patterns.len()),
    }
}
