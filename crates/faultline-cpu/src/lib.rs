//! The native CPU grid evaluator: the fast CPU path of `eval`, `map` and `bench`.
//!
//! Points are evaluated in blocks of [`LANES`] along a grid row, the whole network per
//! block (no per-layer passes over memory): every neuron is a `[f32; LANES]` array, so the
//! compiler turns each step into SIMD instructions. The code is compiled three times: for
//! AVX-512, for AVX2 + FMA, and for the baseline target, and the best one the CPU supports
//! is picked at run time. Rows are spread over all cores with rayon. Transcendentals use a
//! polynomial `exp` (Cephes, ~1 ulp) that vectorises, unlike libm's.
//!
//! This crate must stay a plain CPU library (no GPU, no burn). Its CPU reference twin is
//! `faultline_model::arrays::Field::reference`; the tests compare the two.

mod kernel;
mod math;

use std::ops::Range;

use faultline_model::arrays::Field;
use faultline_model::{GridSpec, Mlp, ModelError};
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
        })
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
        let row_len = grid.width * channels;
        let mut values = vec![0.0f32; rows.len() * row_len];
        let first = rows.start;
        let xs: Vec<f32> = (0..grid.width).map(|c| grid.x(c) as f32).collect();
        values
            .par_chunks_mut(row_len)
            .enumerate()
            .for_each(|(i, out)| self.row(&xs, grid.y(first + i) as f32, out));
        Field {
            width: grid.width,
            height: rows.len(),
            channels,
            values,
        }
    }

    /// Evaluates the row at `y` with column coordinates `xs` into `out` (`W * C` values).
    fn row(&self, xs: &[f32], y: f32, out: &mut [f32]) {
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_isa` only selects AVX-512 when the CPU reports it.
            Isa::Avx512 => unsafe { kernel::row_avx512(&self.mlp, xs, y, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_isa` only selects AVX2 + FMA when the CPU reports both.
            Isa::Avx2Fma => unsafe { kernel::row_avx2(&self.mlp, xs, y, out) },
            _ => kernel::row_baseline(&self.mlp, xs, y, out),
        }
    }
}
