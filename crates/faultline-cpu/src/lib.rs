//! The native CPU grid evaluator: the fast CPU path of `eval`, `map` and `bench`.
//!
//! Points are evaluated in blocks of [`LANES`] along a grid row, the whole network per
//! block (no per-layer passes over memory): every neuron is a `[f32; LANES]` array, so the
//! compiler turns each step into SIMD instructions. The code is compiled three times: for
//! AVX-512, for AVX2 + FMA, and for the baseline target, and the best one the CPU supports
//! is picked at run time. Rows are spread over all cores with rayon. Transcendentals use a
//! polynomial `exp` (Cephes, ~1 ulp) and a division-free reciprocal that vectorise.
//!
//! The first layer exploits the grid (see `plan`): along a row it is affine in `x`, so a
//! sigmoid or tanh first layer comes from tables of exponentials, and a relu first layer
//! is folded into the second layer segment by segment.
//!
//! This crate must stay a plain CPU library (no GPU, no burn). Its CPU reference twin is
//! `faultline_model::arrays::Field::reference`; the tests compare the two.

pub mod boundary;
mod engine;
mod kernel;
mod math;
mod plan;

use std::ops::Range;

use faultline_model::arrays::Field;
use faultline_model::{GridSpec, Mlp, ModelError};
use plan::RowPlan;
use rayon::prelude::*;

pub use kernel::LANES;

/// The instruction set the evaluator runs with, best first (`Avx512 < Baseline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// 512-bit vectors.
    Avx512,
    /// 256-bit vectors with fused multiply-add.
    Avx2Fma,
    /// Whatever the build target guarantees (SSE2 on x86-64).
    Baseline,
}

impl Isa {
    /// Its name in reports: `avx512`, `avx2+fma` or `baseline`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2Fma => "avx2+fma",
            Isa::Baseline => "baseline",
        }
    }

    /// Every instruction set this CPU runs, best first (tests cover each of them).
    pub fn supported() -> Vec<Isa> {
        let best = Isa::detect();
        [Isa::Avx512, Isa::Avx2Fma, Isa::Baseline]
            .into_iter()
            .filter(|&isa| isa <= best)
            .collect()
    }

    /// The best instruction set this CPU supports.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Isa::Avx2Fma;
            }
        }
        Isa::Baseline
    }
}

/// A network prepared for fast evaluation.
#[derive(Debug, Clone)]
pub struct CpuEvaluator {
    mlp: Mlp,
    isa: Isa,
    /// Whether rows may use the grid-aware first-layer plans (else every row is dense).
    grid_plans: bool,
}

impl CpuEvaluator {
    /// Prepares `mlp` (2 inputs) for the best instruction set of this CPU.
    pub fn new(mlp: &Mlp) -> Result<CpuEvaluator, ModelError> {
        CpuEvaluator::with_isa(mlp, Isa::detect())
    }

    /// Prepares `mlp` for a given instruction set (tests use it to cover every path).
    /// Asking for one the CPU lacks falls back to the baseline.
    pub fn with_isa(mlp: &Mlp, isa: Isa) -> Result<CpuEvaluator, ModelError> {
        if mlp.inputs() != 2 {
            return Err(ModelError::Grid(format!(
                "grid evaluation needs a model with 2 inputs, this one has {}",
                mlp.inputs()
            )));
        }
        let isa = match (isa, Isa::detect()) {
            (Isa::Avx512, Isa::Avx512) => Isa::Avx512,
            (Isa::Avx2Fma, Isa::Avx512 | Isa::Avx2Fma) => Isa::Avx2Fma,
            _ => Isa::Baseline,
        };
        Ok(CpuEvaluator {
            mlp: mlp.clone(),
            isa,
            grid_plans: true,
        })
    }

    /// The same evaluator with every row evaluated densely, layer by layer per block: the
    /// grid-aware first-layer plans off (benchmarks compare the two).
    pub fn dense(mut self) -> CpuEvaluator {
        self.grid_plans = false;
        self
    }

    /// Outputs per point (C).
    pub fn outputs(&self) -> usize {
        self.mlp.outputs()
    }

    /// The instruction set in use.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// Threads rayon will use.
    pub fn threads(&self) -> usize {
        rayon::current_num_threads()
    }

    /// The field of the whole grid.
    pub fn field(&self, grid: &GridSpec) -> Field {
        self.field_rows(grid, 0..grid.height)
    }

    /// The field of rows `rows` of `grid` (row 0 of the result is `rows.start`), with the
    /// sample positions of the whole grid.
    pub fn field_rows(&self, grid: &GridSpec, rows: Range<usize>) -> Field {
        let channels = self.mlp.outputs();
        let mut values = vec![0.0f32; rows.len() * grid.width * channels];
        self.field_rows_into(grid, rows.clone(), &mut values);
        Field {
            width: grid.width,
            height: rows.len(),
            channels,
            values,
            threshold: self.mlp.threshold(),
        }
    }

    /// Like [`CpuEvaluator::field_rows`], into a caller's buffer of exactly
    /// `rows.len() * W * C` values (so repeated evaluations can reuse one allocation).
    ///
    /// # Panics
    /// If `out` has another length.
    pub fn field_rows_into(&self, grid: &GridSpec, rows: Range<usize>, out: &mut [f32]) {
        let row_len = grid.width * self.mlp.outputs();
        assert_eq!(out.len(), rows.len() * row_len, "output buffer size");
        let plan = RowPlan::new(&self.mlp, grid, self.grid_plans);
        out.par_chunks_mut(row_len)
            .enumerate()
            .for_each(|(i, out)| self.row(&plan, grid.y(rows.start + i), out));
    }

    /// The field of the whole grid into `field` (`H * W * C`) and the flags word of every
    /// cell into `flags` (`H * W`), in one pass: each task evaluates its band a few rows
    /// at a time and marks them while they are in cache, instead of a second pass over
    /// the whole field. The flags equal [`boundary::flags_into`] on the field.
    ///
    /// # Panics
    /// If a buffer has another length.
    pub fn field_and_flags_into(&self, grid: &GridSpec, field: &mut [f32], flags: &mut [u32]) {
        let (w, h, c) = (grid.width, grid.height, self.mlp.outputs());
        assert_eq!(field.len(), w * h * c, "field buffer size");
        assert_eq!(flags.len(), w * h, "flags buffer size");
        self.mark_rows(grid, 0..h, Some(field), flags);
    }

    /// The flags word of every cell of `grid` (`class | DECISION | JUNCTION | CROSSING`,
    /// see [`boundary`]), without keeping the field: `progress` gets the rows done after
    /// each band of `band_rows` rows.
    pub fn flags(
        &self,
        grid: &GridSpec,
        band_rows: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Vec<u32> {
        let (w, h) = (grid.width, grid.height);
        let band_rows = band_rows.max(1);
        let mut flags = vec![0u32; w * h];
        let mut r0 = 0;
        while r0 < h {
            let rows = band_rows.min(h - r0);
            self.mark_rows(
                grid,
                r0..r0 + rows,
                None,
                &mut flags[r0 * w..(r0 + rows) * w],
            );
            r0 += rows;
            progress(r0);
        }
        flags
    }

    /// The flags of `rows` of `grid` into `flags` (`rows.len() * W`), and their field into
    /// `field` when given, in a few bands per thread.
    fn mark_rows(
        &self,
        grid: &GridSpec,
        rows: Range<usize>,
        field: Option<&mut [f32]>,
        flags: &mut [u32],
    ) {
        let (w, c) = (grid.width, self.mlp.outputs());
        // Sixteen bands per thread balance the load; each costs one extra row evaluation.
        let band = rows
            .len()
            .div_ceil(16 * self.threads().max(1))
            .max(MARK_ROWS);
        let plan = RowPlan::new(&self.mlp, grid, self.grid_plans);
        match field {
            Some(field) => field
                .par_chunks_mut(band * w * c)
                .zip(flags.par_chunks_mut(band * w))
                .enumerate()
                .for_each(|(k, (field, flags))| {
                    self.mark_band(&plan, grid, rows.start + k * band, Some(field), flags)
                }),
            None => flags
                .par_chunks_mut(band * w)
                .enumerate()
                .for_each(|(k, flags)| {
                    self.mark_band(&plan, grid, rows.start + k * band, None, flags)
                }),
        }
    }

    /// [`mark_band`] compiled for the evaluator's instruction set (the codes and flags
    /// vectorise with it).
    fn mark_band(
        &self,
        plan: &RowPlan,
        grid: &GridSpec,
        r0: usize,
        field: Option<&mut [f32]>,
        flags: &mut [u32],
    ) {
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_isa` only selects AVX-512 when the CPU reports it.
            Isa::Avx512 => unsafe { mark_band_avx512(self, plan, grid, r0, field, flags) },
            _ => mark_band(self, plan, grid, r0, field, flags),
        }
    }

    /// How rows of `grid` are evaluated: `dense`, `factored` (sigmoid or tanh first layer
    /// from exponential tables) or `regions` (piecewise-linear first layer folded into the
    /// second); see the crate's `plan` module.
    pub fn plan_name(&self, grid: &GridSpec) -> &'static str {
        RowPlan::new(&self.mlp, grid, self.grid_plans).name()
    }

    /// Evaluates the row at `y` into `out` (`W * C` values).
    fn row(&self, plan: &RowPlan, y: f64, out: &mut [f32]) {
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_isa` only selects AVX-512 when the CPU reports it.
            Isa::Avx512 => unsafe { row_avx512(plan, y, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_isa` only selects AVX2 + FMA when the CPU reports both.
            Isa::Avx2Fma => unsafe { row_avx2(plan, y, out) },
            _ => plan.row::<false, false>(y, out),
        }
    }
}

/// The row evaluation compiled for AVX2 + FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn row_avx2(plan: &RowPlan, y: f64, out: &mut [f32]) {
    plan.row::<true, false>(y, out)
}

/// The row evaluation compiled for AVX-512.
///
/// # Safety
/// The CPU must support AVX-512F (which implies FMA).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn row_avx512(plan: &RowPlan, y: f64, out: &mut [f32]) {
    plan.row::<true, true>(y, out)
}

/// Rows a band task evaluates and marks at a time: their field and codes stay in cache.
const MARK_ROWS: usize = 8;

/// Evaluates the band of `flags.len() / W` rows starting at row `r0` of `grid`, a few
/// rows at a time, into `field` (or a scratch buffer) and marks them with a
/// [`boundary::RowMarker`]; the row above the band is evaluated once more as the upper
/// neighbour of its last row.
#[inline(always)]
fn mark_band(
    ev: &CpuEvaluator,
    plan: &RowPlan,
    grid: &GridSpec,
    r0: usize,
    mut field: Option<&mut [f32]>,
    flags: &mut [u32],
) {
    let (w, c) = (grid.width, ev.mlp.outputs());
    let n = flags.len() / w;
    let mut marker = boundary::RowMarker::new(w, c, ev.mlp.threshold(), MARK_ROWS);
    let mut scratch = if field.is_none() {
        vec![0.0f32; MARK_ROWS * w * c]
    } else {
        Vec::new()
    };
    let (mut done, mut r) = (0, 0);
    while r < n {
        let k = MARK_ROWS.min(n - r);
        let rows: &mut [f32] = match field.as_deref_mut() {
            Some(field) => &mut field[r * w * c..(r + k) * w * c],
            None => &mut scratch[..k * w * c],
        };
        for (i, row) in rows.chunks_mut(w * c).enumerate() {
            ev.row(plan, grid.y(r0 + r + i), row);
        }
        let flagged = marker.flagged_by_push(k);
        marker.push(rows, &mut flags[done * w..(done + flagged) * w]);
        done += flagged;
        r += k;
    }
    let top = r0 + n;
    let up = (top < grid.height).then(|| {
        let mut row = vec![0.0f32; w * c];
        ev.row(plan, grid.y(top), &mut row);
        row
    });
    marker.finish(up.as_deref(), &mut flags[done * w..(done + 1) * w]);
}

/// [`mark_band`] compiled for AVX-512.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn mark_band_avx512(
    ev: &CpuEvaluator,
    plan: &RowPlan,
    grid: &GridSpec,
    r0: usize,
    field: Option<&mut [f32]>,
    flags: &mut [u32],
) {
    mark_band(ev, plan, grid, r0, field, flags)
}
