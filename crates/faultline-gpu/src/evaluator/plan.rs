//! How a grid is cut and dispatched: band heights, workgroup counts, which kernel
//! variant a request takes. No device work happens here.

use faultline_model::GridSpec;
use faultline_shader::{FLAG_ROWS, PACKED_CELLS, ROW_RATIO_LIMIT, Variant};

use super::{
    BAND_BUDGET_BYTES, EvalRequest, FUSED_MULTIPLY_ADD_LIMIT, GridEvaluator, WORKGROUP_SIZE,
};
use crate::GpuError;

impl GridEvaluator {
    /// Whether the packed kernel takes its row path (`ROW_ALIGNED`) on `grid`: only where
    /// the path shares work along rows, rows are a multiple of 8 wide (an invocation's
    /// cells in one row) and the columns are close enough for the shared exponentials
    /// ([`ROW_RATIO_LIMIT`]).
    pub(super) fn row_aligned(&self, grid: &GridSpec) -> bool {
        let Some(weight) = self.kernel.row_factor else {
            return false;
        };
        let dx = grid.step()[0] as f32;
        grid.width.is_multiple_of(PACKED_CELLS) && weight * dx.abs() <= ROW_RATIO_LIMIT
    }

    /// The fused pipeline (`main_flags`: the field and one byte of flags per cell in one
    /// pass, no boundary pass) for `request` on `grid`, if the kernel can take it there:
    /// packed kernels of small networks ([`FUSED_MULTIPLY_ADD_LIMIT`]), flags without
    /// pairs, rows a multiple of 8 wide, classes that fit the byte's 5 bits and at most 2
    /// sign words.
    pub(super) fn fused_variant(&self, grid: &GridSpec, request: &EvalRequest) -> Option<Variant> {
        let fits = self.kernel.packed
            && self.multiply_adds <= FUSED_MULTIPLY_ADD_LIMIT
            && request.flags
            && !request.pairs
            && grid.width.is_multiple_of(PACKED_CELLS)
            && self.kernel.channels <= 32
            && self.kernel.sign_words <= 2;
        fits.then(|| Variant::FusedFlags {
            field: request.field,
            row_aligned: self.row_aligned(grid),
        })
    }

    /// Whether `request` on `grid` takes the fused kernel: where it can and its pipeline
    /// is built ([`Self::prepare_fused`]).
    pub(super) fn fuses(&self, grid: &GridSpec, request: &EvalRequest) -> bool {
        self.fused_variant(grid, request).is_some_and(|v| {
            let built = self.pipelines.lock().expect("pipeline cache");
            built.iter().any(|(k, _)| *k == v)
        })
    }

    /// Workgroups (x, y) of the network kernel for a tile of `cols` x `rows` cells.
    pub(super) fn eval_dispatch(&self, cols: usize, rows: usize) -> (u32, u32) {
        let wg = WORKGROUP_SIZE as usize;
        if self.kernel.packed {
            // Flattened: one invocation per 8 cells, spread over y past the x limit.
            let groups = (cols * rows).div_ceil(PACKED_CELLS).div_ceil(wg).max(1);
            let max_x = self.ctx.limits.max_compute_workgroups_per_dimension as usize;
            let x = groups.min(max_x);
            (x as u32, groups.div_ceil(x) as u32)
        } else {
            let x = cols.div_ceil(self.kernel.lanes as usize).div_ceil(wg);
            (x as u32, rows as u32)
        }
    }

    /// Cells of slack a buffer the network kernel writes needs past the tile.
    pub(super) fn slack_cells(&self) -> usize {
        if self.kernel.packed { PACKED_CELLS } else { 0 }
    }

    /// Rows per band for a grid `width` wide (`fused`: with the fused kernel).
    pub(super) fn band_rows(
        &self,
        width: usize,
        request: &EvalRequest,
        fused: bool,
    ) -> Result<usize, GpuError> {
        let limits = &self.ctx.limits;
        let words = self.kernel.sign_words as u64;
        let mut row_bytes = width as u64 * 4 * words.max(1);
        if request.field {
            row_bytes = row_bytes.max(width as u64 * 4 * self.kernel.channels as u64);
        }
        let device_cap = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        if row_bytes > device_cap {
            return Err(GpuError::Grid(format!(
                "one grid row needs {row_bytes} bytes, more than a GPU buffer here can bind ({device_cap}); use a narrower grid"
            )));
        }
        // Small bands keep the working set in cache and let the host copy band i while
        // the device computes band i + 1 (see BAND_BUDGET_BYTES).
        let by_bytes = (BAND_BUDGET_BYTES / row_bytes).max(1) as usize;
        let by_dispatch = limits.max_compute_workgroups_per_dimension as usize;
        let groups_x = width
            .div_ceil(self.kernel.lanes as usize)
            .div_ceil(WORKGROUP_SIZE as usize);
        if groups_x > by_dispatch && !self.kernel.packed {
            return Err(GpuError::Grid(format!(
                "a {width}-wide grid needs more workgroups per row than this device dispatches"
            )));
        }
        // One row is the overlap with the next band.
        let mut rows = by_bytes.min(by_dispatch).saturating_sub(1).max(1);
        if fused && rows >= FLAG_ROWS {
            // Whole groups of rows per invocation: none computed only to be dropped.
            rows -= rows % FLAG_ROWS;
        }
        Ok(request.max_band_rows.map_or(rows, |m| rows.min(m.max(1))))
    }
}
