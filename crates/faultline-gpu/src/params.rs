//! Uniform blocks shared with the WGSL kernels.

use bytemuck::{Pod, Zeroable};

/// Per-tile parameters of the grid kernel.
/// Keep in sync with `GridParams` in shaders/grid_eval.wgsl (tests/layouts.rs compares them).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct GridParams {
    /// (x0, y0): the grid's first sample.
    pub origin: [f32; 2],
    /// (dx, dy): the distance between columns and rows.
    pub step: [f32; 2],
    /// Global column of the tile's column 0.
    pub col_offset: u32,
    /// Global row of the tile's row 0.
    pub row_offset: u32,
    /// Columns in the tile.
    pub tile_cols: u32,
    /// Rows in the tile.
    pub tile_rows: u32,
    /// Columns of the whole grid (the fused kernel's right neighbours).
    pub grid_cols: u32,
    /// Rows of the whole grid (the fused kernel's upper neighbours).
    pub grid_rows: u32,
}

/// Per-band parameters of the boundary pass.
/// Keep in sync with `BoundaryParams` in shaders/boundary.wgsl (tests/layouts.rs compares them).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct BoundaryParams {
    /// Grid width W.
    pub cols: u32,
    /// Rows to mark in this band.
    pub rows: u32,
    /// Rows present in the classes and signs buffers (rows, or rows + 1).
    pub rows_available: u32,
}
