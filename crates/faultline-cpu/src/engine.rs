//! [`GridEngine`] for the native evaluator: each request in as few passes as it allows.
//!
//! - the field alone: one pass, no boundary marking;
//! - flags (classes, decision) without the field: band by band, rows marked as they are
//!   evaluated, the field never kept;
//! - the field and flags: one fused pass ([`CpuEvaluator::field_and_flags_into`]);
//! - pairs: the field, then the pair masks from it ([`boundary::Codes`]).

use faultline_model::arrays::Field;
use faultline_model::{EngineError, GridArrays, GridEngine, GridRequest, GridSpec};

use crate::{CpuEvaluator, boundary};

/// Rows per band when flags are computed without the field (bounded memory, progress).
const FLAG_BAND_ROWS: usize = 256;

impl GridEngine for CpuEvaluator {
    fn describe(&self) -> String {
        format!(
            "cpu: native, {}, {} threads",
            self.isa().name(),
            self.threads()
        )
    }

    fn outputs(&self) -> usize {
        CpuEvaluator::outputs(self)
    }

    fn evaluate(
        &self,
        grid: &GridSpec,
        request: &GridRequest,
        progress: &mut dyn FnMut(usize),
    ) -> Result<GridArrays, EngineError> {
        let (w, h, c) = (grid.width, grid.height, self.outputs());
        request.check(c)?;
        let band_rows = request.max_band_rows.unwrap_or(FLAG_BAND_ROWS);
        let keep_field = request.field || request.pairs;
        let (field, flags) = match (keep_field, request.needs_flags()) {
            (false, false) => (None, None),
            (false, true) => (None, Some(self.flags(grid, band_rows, progress))),
            (true, false) => {
                let field = self.field(grid).values;
                progress(h);
                (Some(field), None)
            }
            (true, true) => {
                let mut field = vec![0.0f32; w * h * c];
                let mut flags = vec![0u32; w * h];
                self.field_and_flags_into(grid, &mut field, &mut flags);
                progress(h);
                (Some(field), Some(flags))
            }
        };
        let (field, pairs) = match (field, request.pairs) {
            (Some(values), true) => {
                let field = Field {
                    width: w,
                    height: h,
                    channels: c,
                    values,
                    threshold: self.mlp.threshold(),
                };
                let pairs = boundary::Codes::of(&field).pairs(h, c)?;
                (Some(field.values), Some(pairs))
            }
            (field, _) => (field, None),
        };
        Ok(GridArrays::from_parts(
            grid,
            (c, self.mlp.threshold()),
            request,
            field,
            flags,
            pairs,
        ))
    }
}
