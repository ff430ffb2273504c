//! How a grid row is evaluated: the first layer is where the grid's structure pays.
//!
//! Along a row `y` is fixed, so every first-layer pre-activation is an affine function of
//! `x` alone, `u_k(x) = a_k x + c_k`. Two exact rewrites follow from it:
//!
//! - **Factored** (sigmoid or tanh first layer): `e^(λ u_k) = e^(λ a_k (x - x_c)) ·
//!   e^(λ (a_k x_c + c_k))`: a per-column table times a per-row number, so the first layer
//!   costs a multiply and a reciprocal per neuron instead of an `exp`. Used when the column
//!   factors stay within `e^±40` (they always do for normalised inputs); otherwise the row
//!   is evaluated densely.
//! - **Regions** (relu, leaky relu or identity first layer, two layers or more): `u_k`
//!   changes sign at most once along a row, so the row splits into at most `n_1 + 1`
//!   segments on which the first layer's activation pattern is fixed. On a segment the
//!   first layer is linear, so the second layer's pre-activation is affine in `x` too:
//!   `v_n(x) = P_n + S_n (x - x_ref)`, with `P` and `S` computed once per segment (in
//!   `f64`, at the segment's middle) instead of `n_1 · n_2` multiply-adds per point.
//!
//! Everything after that runs densely per block, as does a row in the **Dense** plan.

use faultline_model::{Activation, GridSpec, Mlp};

use crate::kernel::{self, LANES, Scratch};
use crate::math::{self, madd};

/// Largest `|λ a_k (x - x_c)|` the factored plan accepts: its column factors stay within
/// `e^±40`, so with row factors clamped to `e^±80` a product can neither be `0 · inf` nor
/// lose a value that matters (a sigmoid of ±40 is 0 or 1 to far below `f32` resolution).
const FACTOR_SPAN: f64 = 40.0;
/// Clamp of the row factors, see [`FACTOR_SPAN`].
const ROW_FACTOR_LIMIT: f64 = 80.0;

/// The way rows of one grid are evaluated.
#[derive(Debug)]
enum FirstLayer {
    /// Every layer densely per block.
    Dense,
    /// Sigmoid or tanh first layer from per-column and per-row exponential factors.
    Factored(Factored),
    /// Piecewise-linear first layer folded into the second layer per segment.
    Regions(Regions),
}

/// Column factors of the factored plan.
#[derive(Debug)]
struct Factored {
    /// `λ`: -1 for sigmoid (`1 / (1 + e^-u)`), 2 for tanh (`1 - 2 / (1 + e^2u)`).
    lambda: f64,
    /// The centre column's x.
    x_centre: f64,
    /// `e^(λ a_k (x_j - x_c))` at `[k * stride + j]`, padded with ones to `stride`.
    columns: Vec<f32>,
    /// Columns rounded up to whole blocks.
    stride: usize,
}

/// A network and a grid's columns, ready to evaluate rows.
#[derive(Debug)]
pub(crate) struct RowPlan<'a> {
    mlp: &'a Mlp,
    /// Column x coordinates as the kernels use them.
    xs: Vec<f32>,
    /// The same in `f64`, for per-segment sums.
    xs64: Vec<f64>,
    first: FirstLayer,
    widest: usize,
}

impl<'a> RowPlan<'a> {
    /// Chooses the plan for `mlp` (2 inputs) on `grid`'s columns; `grid_plans` false
    /// forces the dense plan.
    pub fn new(mlp: &'a Mlp, grid: &GridSpec, grid_plans: bool) -> RowPlan<'a> {
        let xs64: Vec<f64> = (0..grid.width).map(|c| grid.x(c)).collect();
        let xs = xs64.iter().map(|&x| x as f32).collect();
        let layer = &mlp.layers()[0];
        let first = match layer.activation {
            _ if !grid_plans => FirstLayer::Dense,
            Activation::Sigmoid | Activation::Tanh => {
                Factored::new(mlp, &xs64).map_or(FirstLayer::Dense, FirstLayer::Factored)
            }
            Activation::Relu | Activation::LeakyRelu(_) | Activation::Identity
                if mlp.layers().len() >= 2 =>
            {
                FirstLayer::Regions(Regions::new(mlp))
            }
            _ => FirstLayer::Dense,
        };
        RowPlan {
            mlp,
            xs,
            xs64,
            first,
            widest: mlp.widths().into_iter().max().unwrap_or(2),
        }
    }

    /// A name for the plan (tests and benchmarks print it).
    pub fn name(&self) -> &'static str {
        match self.first {
            FirstLayer::Dense => "dense",
            FirstLayer::Factored(_) => "factored",
            FirstLayer::Regions(_) => "regions",
        }
    }

    /// Evaluates the row at `y` into `out` (`W * C` values, point-major); `WIDE`: the
    /// code runs with AVX-512.
    #[inline(always)]
    pub fn row<const FMA: bool, const WIDE: bool>(&self, y: f64, out: &mut [f32]) {
        match &self.first {
            FirstLayer::Dense => self.dense_row::<FMA, WIDE>(y, out),
            FirstLayer::Factored(f) => self.factored_row::<FMA, WIDE>(f, y, out),
            FirstLayer::Regions(r) => self.regions_row::<FMA, WIDE>(r, y, out),
        }
    }

    #[inline(always)]
    fn dense_row<const FMA: bool, const WIDE: bool>(&self, y: f64, out: &mut [f32]) {
        let mut s = Scratch::new(self.widest);
        let channels = self.mlp.outputs();
        for (block, chunk) in self.xs.chunks(LANES).enumerate() {
            let mut x = [0.0f32; LANES];
            x[..chunk.len()].copy_from_slice(chunk);
            s.a[0] = x;
            s.a[1] = [y as f32; LANES];
            s.run::<FMA>(self.mlp.layers(), 2);
            let at = block * LANES * channels;
            kernel::store::<WIDE>(&s.a[..channels], chunk.len(), &mut out[at..]);
        }
    }

    #[inline(always)]
    fn factored_row<const FMA: bool, const WIDE: bool>(
        &self,
        f: &Factored,
        y: f64,
        out: &mut [f32],
    ) {
        let layers = self.mlp.layers();
        let first = &layers[0];
        let n1 = first.outputs;
        let row: Vec<f32> = (0..n1)
            .map(|k| {
                let u = f64::from(first.w(k, 0)) * f.x_centre
                    + f64::from(first.w(k, 1)) * y
                    + f64::from(first.bias[k]);
                (f.lambda * u)
                    .clamp(-ROW_FACTOR_LIMIT, ROW_FACTOR_LIMIT)
                    .exp() as f32
            })
            .collect();
        // The first layer for the whole row, neuron by neuron: long, simple loops that
        // vectorise fully (the row stays in L1/L2).
        let mut h1 = vec![0.0f32; n1 * f.stride];
        for (k, &r) in row.iter().enumerate() {
            let col = &f.columns[k * f.stride..(k + 1) * f.stride];
            let h = &mut h1[k * f.stride..(k + 1) * f.stride];
            for (h, &c) in h.iter_mut().zip(col) {
                *h = math::recip_ge1::<FMA>(madd::<FMA>(1.0, c, r));
            }
            if first.activation == Activation::Tanh {
                for h in h.iter_mut() {
                    *h = madd::<FMA>(1.0, -2.0, *h);
                }
            }
        }
        let mut s = Scratch::new(self.widest);
        let channels = self.mlp.outputs();
        let width = self.xs.len();
        for j in (0..width).step_by(LANES) {
            for k in 0..n1 {
                s.a[k].copy_from_slice(&h1[k * f.stride + j..][..LANES]);
            }
            s.run::<FMA>(&layers[1..], n1);
            let count = LANES.min(width - j);
            kernel::store::<WIDE>(&s.a[..channels], count, &mut out[j * channels..]);
        }
    }

    #[inline(always)]
    fn regions_row<const FMA: bool, const WIDE: bool>(&self, r: &Regions, y: f64, out: &mut [f32]) {
        let layers = self.mlp.layers();
        let (first, second) = (&layers[0], &layers[1]);
        let (n1, n2) = (first.outputs, second.outputs);
        let a: Vec<f64> = (0..n1).map(|k| f64::from(first.w(k, 0))).collect();
        let c: Vec<f64> = (0..n1)
            .map(|k| f64::from(first.w(k, 1)) * y + f64::from(first.bias[k]))
            .collect();
        // The first layer's sign along the row, as the dense kernel computes it.
        let c32: Vec<f32> = c.iter().map(|&c| c as f32).collect();
        let a32: Vec<f32> = a.iter().map(|&a| a as f32).collect();
        let positive = |k: usize, j: usize| madd::<FMA>(c32[k], a32[k], self.xs[j]) > 0.0;
        let gain = |k: usize, j: usize| if positive(k, j) { 1.0 } else { r.negative };
        let width = self.xs.len();

        // Where each neuron changes sign (u_k is monotonic in x): (column, neuron).
        let mut flips = Vec::new();
        if r.negative != 1.0 {
            for k in 0..n1 {
                let start = positive(k, 0);
                if positive(k, width - 1) != start {
                    let (mut lo, mut hi) = (0, width - 1);
                    while hi - lo > 1 {
                        let mid = (lo + hi) / 2;
                        if positive(k, mid) == start {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    flips.push((hi, k));
                }
            }
            flips.sort_unstable();
        }

        // v(x) = Q + S x on the current segment, Q and S in f64, updated by one column of
        // the second layer's weights whenever a neuron changes sign.
        let mut q: Vec<f64> = second.bias.iter().map(|&b| f64::from(b)).collect();
        let mut slope = vec![0.0f64; n2];
        let update = |q: &mut [f64], slope: &mut [f64], k: usize, g: f64| {
            let column = &r.second_t[k * n2..(k + 1) * n2];
            let (gc, ga) = (g * c[k], g * a[k]);
            for ((q, s), &w) in q.iter_mut().zip(slope.iter_mut()).zip(column) {
                *q += w * gc;
                *s += w * ga;
            }
        };
        for k in 0..n1 {
            update(&mut q, &mut slope, k, gain(k, 0));
        }

        let mut s = Scratch::new(self.widest);
        let channels = self.mlp.outputs();
        let (mut p32, mut s32) = (vec![0.0f32; n2], vec![0.0f32; n2]);
        let mut next = 0;
        let mut j0 = 0;
        while j0 < width {
            while next < flips.len() && flips[next].0 == j0 {
                let k = flips[next].1;
                let now = gain(k, j0);
                let before = if now == 1.0 { r.negative } else { 1.0 };
                update(&mut q, &mut slope, k, now - before);
                next += 1;
            }
            let j1 = flips.get(next).map_or(width, |f| f.0);
            // v = P + S (x - x_ref) with P = Q + S x_ref: offsets from the segment's middle
            // keep the f32 part small.
            let x_ref = self.xs64[(j0 + j1 - 1) / 2];
            for n in 0..n2 {
                p32[n] = (q[n] + slope[n] * x_ref) as f32;
                s32[n] = slope[n] as f32;
            }
            for j in (j0..j1).step_by(LANES) {
                let count = LANES.min(j1 - j);
                let mut dx = [0.0f32; LANES];
                for (l, d) in dx[..count].iter_mut().enumerate() {
                    *d = (self.xs64[j + l] - x_ref) as f32;
                }
                for n in 0..n2 {
                    let v = &mut s.a[n];
                    for l in 0..LANES {
                        v[l] = madd::<FMA>(p32[n], s32[n], dx[l]);
                    }
                }
                kernel::activate::<FMA>(second.activation, &mut s.a[..n2]);
                s.run::<FMA>(&layers[2..], n2);
                kernel::store::<WIDE>(&s.a[..channels], count, &mut out[j * channels..]);
            }
            j0 = j1;
        }
    }
}

/// What the regions plan precomputes: the second layer's weights, transposed, in `f64`.
#[derive(Debug)]
struct Regions {
    /// The first layer's slope for negative inputs: 0 (relu), 0.01 (leaky relu) or 1
    /// (identity: one segment per row).
    negative: f64,
    /// `w2[n][k]` at `[k * n2 + n]`.
    second_t: Vec<f64>,
}

impl Regions {
    fn new(mlp: &Mlp) -> Regions {
        let (first, second) = (&mlp.layers()[0], &mlp.layers()[1]);
        let (n1, n2) = (first.outputs, second.outputs);
        let mut second_t = vec![0.0; n1 * n2];
        for n in 0..n2 {
            for k in 0..n1 {
                second_t[k * n2 + n] = f64::from(second.w(n, k));
            }
        }
        let negative = match first.activation {
            Activation::Relu => 0.0,
            // The dense kernel multiplies by the f32 slope.
            Activation::LeakyRelu(slope) => f64::from(slope.get()),
            _ => 1.0,
        };
        Regions { negative, second_t }
    }
}

impl Factored {
    /// The column factors, or `None` when some would leave `e^±40`.
    fn new(mlp: &Mlp, xs: &[f64]) -> Option<Factored> {
        let first = &mlp.layers()[0];
        let lambda = if first.activation == Activation::Tanh {
            2.0
        } else {
            -1.0
        };
        let x_centre = (xs[0] + xs[xs.len() - 1]) / 2.0;
        let half = (xs[xs.len() - 1] - xs[0]).abs() / 2.0;
        let stride = xs.len().div_ceil(LANES) * LANES;
        let mut columns = vec![1.0f32; first.outputs * stride];
        for k in 0..first.outputs {
            let a = lambda * f64::from(first.w(k, 0));
            if (a * half).abs() > FACTOR_SPAN || !a.is_finite() {
                return None;
            }
            for (j, &x) in xs.iter().enumerate() {
                columns[k * stride + j] = (a * (x - x_centre)).exp() as f32;
            }
        }
        Some(Factored {
            lambda,
            x_centre,
            columns,
            stride,
        })
    }
}
