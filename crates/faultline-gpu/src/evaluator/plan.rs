//! How a grid is cut and dispatched: band heights, workgroup counts, which kernel
//! variant a request takes. Pure functions of the kernel, the device's limits and the
//! request (no device work: the tests below run without an adapter); the evaluator's
//! methods of the same names apply them to its own kernel and device.

use faultline_model::GridSpec;
use faultline_shader::{FLAG_ROWS, GridKernel, PACKED_CELLS, ROW_RATIO_LIMIT, Variant};

use super::{
    BAND_BUDGET_BYTES, EvalRequest, FUSED_MULTIPLY_ADD_LIMIT, GridEvaluator, WORKGROUP_SIZE,
};
use crate::GpuError;

/// Whether a packed kernel takes its row path (`ROW_ALIGNED`) on `grid`: only where the
/// path shares work along rows, rows are a multiple of 8 wide (an invocation's cells in
/// one row) and the columns are close enough for the shared exponentials
/// ([`ROW_RATIO_LIMIT`]).
pub(super) fn row_aligned(kernel: &GridKernel, grid: &GridSpec) -> bool {
    let Some(weight) = kernel.row_factor else {
        return false;
    };
    let dx = grid.step()[0] as f32;
    grid.width.is_multiple_of(PACKED_CELLS) && weight * dx.abs() <= ROW_RATIO_LIMIT
}

/// The fused variant (`main_flags`: the field and one byte of flags per cell in one
/// pass, no boundary pass) for `request` on `grid`, if the kernel can take it there:
/// packed kernels of small networks ([`FUSED_MULTIPLY_ADD_LIMIT`]), flags without pairs,
/// rows a multiple of 8 wide, classes that fit the byte's 5 bits and at most 2 sign words.
pub(super) fn fused_variant(
    kernel: &GridKernel,
    multiply_adds: usize,
    grid: &GridSpec,
    request: &EvalRequest,
) -> Option<Variant> {
    let fits = kernel.packed
        && multiply_adds <= FUSED_MULTIPLY_ADD_LIMIT
        && request.flags
        && !request.pairs
        && grid.width.is_multiple_of(PACKED_CELLS)
        && kernel.channels <= 32
        && kernel.sign_words <= 2;
    fits.then(|| Variant::FusedFlags {
        field: request.field,
        row_aligned: row_aligned(kernel, grid),
    })
}

/// Workgroups (x, y) of the network kernel for a tile of `cols` x `rows` cells.
pub(super) fn eval_dispatch(
    kernel: &GridKernel,
    limits: &wgpu::Limits,
    cols: usize,
    rows: usize,
) -> (u32, u32) {
    let wg = WORKGROUP_SIZE as usize;
    if kernel.packed {
        // Flattened: one invocation per 8 cells, spread over y past the x limit.
        let groups = (cols * rows).div_ceil(PACKED_CELLS).div_ceil(wg).max(1);
        let max_x = limits.max_compute_workgroups_per_dimension as usize;
        let x = groups.min(max_x);
        (x as u32, groups.div_ceil(x) as u32)
    } else {
        let x = cols.div_ceil(kernel.lanes as usize).div_ceil(wg);
        (x as u32, rows as u32)
    }
}

/// Cells of slack a buffer the network kernel writes needs past the tile.
pub(super) fn slack_cells(kernel: &GridKernel) -> usize {
    if kernel.packed { PACKED_CELLS } else { 0 }
}

/// Rows per band for a grid `width` wide (`fused`: with the fused kernel): as many as
/// keep the band's largest buffer within [`BAND_BUDGET_BYTES`] and one dispatch, less the
/// overlap row, whole groups of [`FLAG_ROWS`] for the fused kernel, at most
/// `request.max_band_rows`.
pub(super) fn band_rows(
    kernel: &GridKernel,
    limits: &wgpu::Limits,
    width: usize,
    request: &EvalRequest,
    fused: bool,
) -> Result<usize, GpuError> {
    let words = kernel.sign_words as u64;
    let mut row_bytes = width as u64 * 4 * words.max(1);
    if request.field {
        row_bytes = row_bytes.max(width as u64 * 4 * kernel.channels as u64);
    }
    let device_cap = limits
        .max_storage_buffer_binding_size
        .min(limits.max_buffer_size);
    if row_bytes > device_cap {
        return Err(GpuError::Grid(format!(
            "one grid row needs {row_bytes} bytes, more than a GPU buffer here can bind ({device_cap}); use a narrower grid"
        )));
    }
    // Small bands keep the working set in cache and let the host copy band i while the
    // device computes band i + 1 (see BAND_BUDGET_BYTES).
    let by_bytes = (BAND_BUDGET_BYTES / row_bytes).max(1) as usize;
    let by_dispatch = limits.max_compute_workgroups_per_dimension as usize;
    let groups_x = width
        .div_ceil(kernel.lanes as usize)
        .div_ceil(WORKGROUP_SIZE as usize);
    if groups_x > by_dispatch && !kernel.packed {
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

impl GridEvaluator {
    /// [`row_aligned`] for this evaluator's kernel.
    pub(super) fn row_aligned(&self, grid: &GridSpec) -> bool {
        row_aligned(&self.kernel, grid)
    }

    /// [`fused_variant`] for this evaluator's kernel.
    pub(super) fn fused_variant(&self, grid: &GridSpec, request: &EvalRequest) -> Option<Variant> {
        fused_variant(&self.kernel, self.multiply_adds, grid, request)
    }

    /// Whether `request` on `grid` takes the fused kernel: where it can and its pipeline
    /// is built ([`Self::prepare_fused`]).
    pub(super) fn fuses(&self, grid: &GridSpec, request: &EvalRequest) -> bool {
        self.fused_variant(grid, request).is_some_and(|v| {
            let built = self.pipelines.lock().expect("pipeline cache");
            built.iter().any(|(k, _)| *k == v)
        })
    }

    /// [`eval_dispatch`] on this evaluator's device.
    pub(super) fn eval_dispatch(&self, cols: usize, rows: usize) -> (u32, u32) {
        eval_dispatch(&self.kernel, &self.ctx.limits, cols, rows)
    }

    /// [`slack_cells`] of this evaluator's kernel.
    pub(super) fn slack_cells(&self) -> usize {
        slack_cells(&self.kernel)
    }

    /// [`band_rows`] on this evaluator's device.
    pub(super) fn band_rows(
        &self,
        width: usize,
        request: &EvalRequest,
        fused: bool,
    ) -> Result<usize, GpuError> {
        band_rows(&self.kernel, &self.ctx.limits, width, request, fused)
    }
}

#[cfg(test)]
mod tests {
    use faultline_model::{Activation, Domain, Mlp, random::random_mlp};
    use faultline_shader::{KernelOptions, Stores, grid_kernel};

    use super::*;

    fn kernel(mlp: &Mlp, stores: Stores) -> GridKernel {
        grid_kernel(
            mlp,
            KernelOptions {
                stores,
                ..KernelOptions::default()
            },
        )
        .unwrap()
    }

    fn seed() -> Mlp {
        random_mlp(&[2, 3, 3], Activation::Sigmoid, Activation::Sigmoid, 1, 2.0)
    }

    fn grid(w: usize, h: usize) -> GridSpec {
        GridSpec::new(Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap(), w, h).unwrap()
    }

    const FIELD: EvalRequest = EvalRequest {
        field: true,
        flags: true,
        pairs: false,
        max_band_rows: None,
    };

    #[test]
    fn bands_fit_the_budget_and_the_request() {
        let limits = wgpu::Limits::default();
        let k = kernel(&seed(), Stores::Lanes);
        let rows = band_rows(&k, &limits, 1024, &FIELD, false).unwrap();
        // 3 outputs: 12 bytes per cell; one overlap row on top of the band.
        assert!((rows + 1) as u64 * 1024 * 12 <= BAND_BUDGET_BYTES, "{rows}");
        assert!(
            (rows + 2) as u64 * 1024 * 12 > BAND_BUDGET_BYTES,
            "{rows}: as many as fit"
        );
        let fused = band_rows(&k, &limits, 1024, &FIELD, true).unwrap();
        assert_eq!(
            fused % FLAG_ROWS,
            0,
            "whole groups of rows for the fused kernel"
        );
        let capped = EvalRequest {
            max_band_rows: Some(7),
            ..FIELD
        };
        assert_eq!(band_rows(&k, &limits, 1024, &capped, false).unwrap(), 7);
        // Rows wider than a buffer binding, or than one dispatch covers, are refused.
        let small_binding = wgpu::Limits {
            max_storage_buffer_binding_size: 4096,
            ..wgpu::Limits::default()
        };
        let e = band_rows(&k, &small_binding, 1024, &FIELD, false).unwrap_err();
        assert!(e.to_string().contains("narrower grid"), "{e}");
        // 4 lanes x 64 invocations per workgroup, 4 workgroups: 1024 columns at most.
        let few_groups = wgpu::Limits {
            max_compute_workgroups_per_dimension: 4,
            ..wgpu::Limits::default()
        };
        assert!(band_rows(&k, &few_groups, 1024, &EvalRequest::default(), false).is_ok());
        let e = band_rows(&k, &few_groups, 1028, &EvalRequest::default(), false).unwrap_err();
        assert!(e.to_string().contains("workgroups per row"), "{e}");
    }

    #[test]
    fn dispatches_cover_every_cell() {
        let limits = wgpu::Limits {
            max_compute_workgroups_per_dimension: 100,
            ..wgpu::Limits::default()
        };
        for stores in [Stores::Lanes, Stores::Packed] {
            let k = kernel(&seed(), stores);
            for (cols, rows) in [(1, 1), (61, 37), (1000, 999), (4096, 300)] {
                let (x, y) = eval_dispatch(&k, &limits, cols, rows);
                let invocations = (x * y * WORKGROUP_SIZE) as usize;
                if k.packed {
                    assert!(x <= 100, "x within the limit");
                    assert!(invocations * PACKED_CELLS >= cols * rows, "{cols}x{rows}");
                } else {
                    assert_eq!(y as usize, rows);
                    assert!((x * WORKGROUP_SIZE * k.lanes) as usize >= cols, "{cols}");
                }
            }
        }
        assert_eq!(slack_cells(&kernel(&seed(), Stores::Lanes)), 0);
        assert_eq!(slack_cells(&kernel(&seed(), Stores::Packed)), PACKED_CELLS);
    }

    #[test]
    fn the_fused_and_row_variants_only_where_they_apply() {
        let packed = kernel(&seed(), Stores::Packed);
        let lanes = kernel(&seed(), Stores::Lanes);
        let flags = EvalRequest {
            field: false,
            ..FIELD
        };
        assert!(fused_variant(&packed, 15, &grid(64, 9), &flags).is_some());
        assert!(
            fused_variant(&lanes, 15, &grid(64, 9), &flags).is_none(),
            "lane stores"
        );
        assert!(
            fused_variant(&packed, 15, &grid(61, 9), &flags).is_none(),
            "odd width"
        );
        assert!(
            fused_variant(&packed, 100, &grid(64, 9), &flags).is_none(),
            "too large"
        );
        let pairs = EvalRequest {
            pairs: true,
            ..flags
        };
        assert!(
            fused_variant(&packed, 15, &grid(64, 9), &pairs).is_none(),
            "pairs"
        );
        // A sigmoid first layer shares exponentials along rows a multiple of 8 wide.
        assert!(row_aligned(&packed, &grid(64, 9)));
        assert!(!row_aligned(&packed, &grid(61, 9)));
        assert!(
            !row_aligned(&lanes, &grid(64, 9)),
            "lane kernels have no row path"
        );
    }
}
