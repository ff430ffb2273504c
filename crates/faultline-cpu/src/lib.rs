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
mod kernel;
mod math;
mod plan;

use std::ops::Range;

use faultline_model::arrays::Field;
use faultline_model::{GridSpec, Mlp, ModelError};
use plan::RowPlan;
use rayon::prelude::*;

pub use kernel::LANES;

/// The instruction set the evaluator runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// 512-bit vectors.
    Avx512,
    /// 256-bit vectors with fused multiply-add.
    Avx2Fma,
    /// Whatever the build target guarantees (SSE2 on x86-64).
    Baseline,
}

impl Isa {
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
    /// cell into `flags` (`H * W`), in one pass: each task evaluates a few rows and marks
    /// them while they are in cache (plus the row above, evaluated again as their upper
    /// neighbour), instead of a second pass over the whole field.
    ///
    /// # Panics
    /// If a buffer has another length.
    pub fn field_and_flags_into(
        &self,
        grid: &GridSpec,
        field: &mut [f32],
        flags: &mut [u32],
    ) -> Result<(), ModelError> {
        const ROWS: usize = 16;
        let (w, h, c) = (grid.width, grid.height, self.mlp.outputs());
        assert_eq!(field.len(), w * h * c, "field buffer size");
        assert_eq!(flags.len(), w * h, "flags buffer size");
        let pairs = faultline_model::arrays::pair_count(c);
        if pairs > faultline_model::arrays::MAX_PAIRS {
            return Err(ModelError::Output(format!(
                "{c} outputs make {pairs} pairs; a flags pass handles at most {}",
                faultline_model::arrays::MAX_PAIRS
            )));
        }
        let plan = RowPlan::new(&self.mlp, grid, self.grid_plans);
        field
            .par_chunks_mut(w * c * ROWS)
            .zip(flags.par_chunks_mut(w * ROWS))
            .enumerate()
            .for_each_init(
                || (boundary::FlagScratch::default(), vec![0.0f32; w * c]),
                |(scratch, up), (k, (field, flags))| {
                    let r0 = k * ROWS;
                    let n = flags.len() / w;
                    for (i, row) in field.chunks_mut(w * c).enumerate() {
                        self.row(&plan, grid.y(r0 + i), row);
                    }
                    let up = (r0 + n < h).then(|| {
                        self.row(&plan, grid.y(r0 + n), up);
                        &up[..]
                    });
                    self.flag_rows(field, up, w, c, scratch, flags);
                },
            );
        Ok(())
    }

    /// The flags word of every cell of `grid` (`class | DECISION | JUNCTION | CROSSING`,
    /// see [`boundary`]), band by band so memory stays bounded: each band of
    /// `band_rows` rows evaluates one extra row, the upper neighbours of its last row.
    /// `progress` gets the rows done after each band.
    pub fn flags(
        &self,
        grid: &GridSpec,
        band_rows: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<u32>, ModelError> {
        let (w, h) = (grid.width, grid.height);
        let band_rows = band_rows.max(1);
        let mut flags = Vec::with_capacity(w * h);
        let mut r0 = 0;
        while r0 < h {
            let rows = band_rows.min(h - r0);
            let band = self.field_rows(grid, r0..(r0 + rows + 1).min(h));
            let start = flags.len();
            flags.resize(start + rows * w, 0);
            boundary::flags_into(&band, &mut flags[start..])?;
            r0 += rows;
            progress(r0);
        }
        Ok(flags)
    }

    /// How rows of `grid` are evaluated: `dense`, `factored` (sigmoid or tanh first layer
    /// from exponential tables) or `regions` (piecewise-linear first layer folded into the
    /// second); see the crate's `plan` module.
    pub fn plan_name(&self, grid: &GridSpec) -> &'static str {
        RowPlan::new(&self.mlp, grid, self.grid_plans).name()
    }

    /// [`boundary::flag_rows`] compiled for the evaluator's instruction set.
    fn flag_rows(
        &self,
        rows: &[f32],
        up: Option<&[f32]>,
        w: usize,
        c: usize,
        scratch: &mut boundary::FlagScratch,
        out: &mut [u32],
    ) {
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_isa` only selects AVX-512 when the CPU reports it.
            Isa::Avx512 => unsafe { flag_rows_avx512(rows, up, w, c, scratch, out) },
            _ => boundary::flag_rows(rows, up, w, c, scratch, out),
        }
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

/// [`boundary::flag_rows`] compiled for AVX-512.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn flag_rows_avx512(
    rows: &[f32],
    up: Option<&[f32]>,
    w: usize,
    c: usize,
    scratch: &mut boundary::FlagScratch,
    out: &mut [u32],
) {
    boundary::flag_rows(rows, up, w, c, scratch, out)
}
