//! The buffers of one evaluation: two slots of band-sized buffers and their bind groups.

use faultline_shader::FLAG_ROWS;

use super::pipelines::bind_buffers;
use super::{EvalRequest, GridEvaluator};
use crate::GpuError;
use crate::params::{BoundaryParams, GridParams};

/// The buffers of one band in flight: what the kernels write, their bind groups, and
/// the buffers its results are mapped from.
pub(super) struct BandSlot {
    pub(super) field: wgpu::Buffer,
    /// Classes for the boundary pass, or the fused kernel's flag bytes.
    pub(super) classes: wgpu::Buffer,
    pub(super) flags: wgpu::Buffer,
    pub(super) pairs: wgpu::Buffer,
    pub(super) eval_group: wgpu::BindGroup,
    pub(super) boundary_group: wgpu::BindGroup,
    /// (field, flags, pairs) buffers to map, for what was requested: the storage buffers
    /// themselves when the adapter maps them directly, else separate readback buffers.
    pub(super) read: [Option<wgpu::Buffer>; 3],
}

impl BandSlot {
    /// (source, readback buffer, bytes) for each array of a band of `rows` rows that
    /// needs a copy.
    pub(super) fn copies<'s>(
        &'s self,
        buffers: &BandBuffers,
        rows: usize,
    ) -> Vec<(&'s wgpu::Buffer, &'s wgpu::Buffer, u64)> {
        if buffers.direct {
            return Vec::new();
        }
        let [field, flags, pairs] = &self.read;
        let cells = (rows * buffers.width) as u64;
        let mut v = Vec::new();
        if let Some(read) = field {
            v.push((&self.field, read, cells * buffers.channels as u64 * 4));
        }
        if let Some(read) = flags {
            v.push(match buffers.fused {
                true => (&self.classes, read, buffers.flag_bytes(rows) as u64),
                false => (&self.flags, read, cells * 4),
            });
        }
        if let Some(read) = pairs {
            v.push((&self.pairs, read, cells * buffers.words as u64 * 4));
        }
        v
    }
}

/// The buffers of one evaluation: two slots of band-sized buffers (band i computes in
/// one while band i-1 is read from the other) and the parameter blocks.
pub(super) struct BandBuffers {
    pub(super) slots: [BandSlot; 2],
    pub(super) grid_params: wgpu::Buffer,
    pub(super) boundary_params: wgpu::Buffer,
    /// Results are mapped from the storage buffers (no copy pass).
    pub(super) direct: bool,
    /// The fused kernel writes flag bytes into `classes` (no boundary pass).
    pub(super) fused: bool,
    pub(super) channels: usize,
    pub(super) words: usize,
    pub(super) width: usize,
}

impl BandBuffers {
    pub(super) fn new(
        ev: &GridEvaluator,
        width: usize,
        band_rows: usize,
        request: &EvalRequest,
        readback: bool,
        fused: bool,
    ) -> Result<BandBuffers, GpuError> {
        let device = &ev.ctx.device;
        let channels = ev.kernel.channels;
        let words = ev.kernel.sign_words;
        let direct = readback && ev.ctx.maps_storage_directly();
        let scope = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = |label: &str, bytes: u64, usage: wgpu::BufferUsages| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                // Packed kernels bind 32-byte elements.
                size: bytes.max(32),
                usage,
                mapped_at_creation: false,
            })
        };
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let mapped_storage = if direct {
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::MAP_READ
        } else {
            storage
        };
        let uniform = wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST;
        // The fused kernel computes whole groups of FLAG_ROWS rows.
        let eval_rows = (band_rows + 1).max(band_rows.next_multiple_of(FLAG_ROWS));
        let eval_cells = (eval_rows * width + ev.slack_cells()) as u64;
        let band_cells = (band_rows * width) as u64;
        let field_cell = if request.field {
            channels as u64 * 4
        } else {
            0
        };
        let pairs_cell = if request.pairs { words as u64 * 4 } else { 0 };
        let grid_params = buffer(
            "grid params",
            std::mem::size_of::<GridParams>() as u64,
            uniform,
        );
        let boundary_params = buffer(
            "boundary params",
            std::mem::size_of::<BoundaryParams>() as u64,
            uniform,
        );
        let readable = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
        let flags_read_bytes = if fused {
            (band_rows.next_multiple_of(FLAG_ROWS) * width) as u64
        } else {
            band_cells * 4
        };
        let slot = || {
            let field = buffer("field", eval_cells * field_cell, mapped_storage);
            // Fused: flag bytes in `classes`; no signs, no u32 flags on the device.
            let (classes, signs, flags) = if fused {
                (
                    buffer("flag bytes", eval_cells, mapped_storage),
                    buffer("unused signs", 0, storage),
                    buffer("unused flags", 0, storage),
                )
            } else {
                (
                    buffer("classes", eval_cells * 4, storage),
                    buffer("signs", eval_cells * words as u64 * 4, storage),
                    buffer("flags", band_cells * 4, mapped_storage),
                )
            };
            let pairs = buffer("pairs", band_cells * pairs_cell, mapped_storage);
            let wanted = [
                readback && request.field,
                readback && request.flags,
                readback && request.pairs,
            ];
            let read = if direct {
                [
                    wanted[0].then(|| field.clone()),
                    wanted[1].then(|| {
                        if fused {
                            classes.clone()
                        } else {
                            flags.clone()
                        }
                    }),
                    wanted[2].then(|| pairs.clone()),
                ]
            } else {
                [
                    wanted[0].then(|| buffer("field readback", band_cells * field_cell, readable)),
                    // Fused: flag bytes, in whole groups of FLAG_ROWS rows.
                    wanted[1].then(|| buffer("flags readback", flags_read_bytes, readable)),
                    wanted[2].then(|| buffer("pairs readback", band_cells * pairs_cell, readable)),
                ]
            };
            let eval_group = bind_buffers(
                device,
                &ev.eval_layout,
                [&grid_params, &field, &classes, &signs, &ev.weights],
            );
            let boundary_group = bind_buffers(
                device,
                &ev.boundary_layout,
                [&boundary_params, &classes, &signs, &flags, &pairs],
            );
            BandSlot {
                field,
                classes,
                flags,
                pairs,
                eval_group,
                boundary_group,
                read,
            }
        };
        let slots = [slot(), slot()];
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Grid(format!(
                "could not allocate GPU buffers for a {width}-wide grid: {e}"
            )));
        }
        Ok(BandBuffers {
            slots,
            grid_params,
            boundary_params,
            direct,
            fused,
            channels,
            words,
            width,
        })
    }

    /// Bytes of the fused kernel's flags for a band of `rows` rows (whole groups).
    pub(super) fn flag_bytes(&self, rows: usize) -> usize {
        rows.next_multiple_of(FLAG_ROWS) * self.width
    }
}
