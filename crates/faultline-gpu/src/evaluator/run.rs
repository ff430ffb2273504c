//! One evaluation: bands dispatched in turn, double-buffered against the host copies.

use std::time::Instant;

use faultline_model::GridSpec;
use faultline_shader::{FLAG_ROWS, PACKED_CELLS, Variant};

use super::bands::BandBuffers;
use super::{EvalRequest, FUSED_WORKGROUP_SIZE, GridEvaluator, Timing, WORKGROUP_SIZE};
use crate::params::{BoundaryParams, GridParams};
use crate::{GpuError, GridOutput};

impl GridEvaluator {
    pub(super) fn run(
        &self,
        grid: &GridSpec,
        request: &EvalRequest,
        host: Option<&mut GridOutput>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Timing, GpuError> {
        let readback = host.is_some();
        let (width, height) = (grid.width, grid.height);
        let channels = self.kernel.channels;
        if request.pairs && !faultline_model::arrays::tracks_crossings(channels) {
            return Err(GpuError::Grid(
                faultline_model::arrays::too_many_pairs(channels).to_string(),
            ));
        }
        let boundaries = request.flags || request.pairs;
        let fused = self.fuses(grid, request);
        // The fused kernel marks the boundaries itself.
        let boundary_pass = boundaries && !fused;
        let band_rows = self.band_rows(width, request, fused)?.min(height);
        let key = (
            width,
            band_rows,
            request.field,
            request.flags,
            request.pairs,
            readback,
            fused,
        );
        let mut cache = self.cache.lock().expect("band buffer cache");
        if cache.as_ref().is_none_or(|(k, _)| *k != key) {
            *cache = None; // free the old buffers before making new ones
            *cache = Some((
                key,
                BandBuffers::new(self, width, band_rows, request, readback, fused)?,
            ));
        }
        let buffers = &cache.as_ref().expect("just filled").1;
        let row_aligned = self.row_aligned(grid);
        let eval_variant = match fused {
            true => Variant::FusedFlags {
                field: request.field,
                row_aligned,
            },
            false => Variant::Network {
                field: request.field,
                classes: boundary_pass,
                row_aligned,
            },
        };
        let eval_pipeline = self
            .pipeline(eval_variant)?
            .expect("the network variants exist where `fuses` said so");
        // Rows a multiple of 8 wide keep the packed pass's 8-cell blocks within a row.
        let pairs = request.pairs;
        let packed_boundary = match boundary_pass && width % PACKED_CELLS == 0 {
            true => self.pipeline(Variant::BoundaryPacked { pairs })?,
            false => None,
        };
        let boundary = match (boundary_pass, packed_boundary) {
            (false, _) => None,
            (true, Some(p)) => Some((p, (width / PACKED_CELLS).div_ceil(WORKGROUP_SIZE as usize))),
            (true, None) => Some((
                self.pipeline(Variant::Boundary { pairs })?
                    .expect("every kernel has the per-cell boundary pass"),
                width.div_ceil(WORKGROUP_SIZE as usize),
            )),
        };
        let mut scratch = GridOutput::default();
        let out = host.unwrap_or(&mut scratch);
        out.shape_for(width, height, channels, request, readback);
        out.threshold = self.threshold;
        let [dx, dy] = grid.step();
        let started = Instant::now();
        let mut bands = 0;
        // Readback is double-buffered: band i computes in one slot while band i-1 is
        // copied out of the other. (slot, first row, rows, submission)
        let mut pending: Option<(usize, usize, usize, wgpu::SubmissionIndex)> = None;
        let mut r0 = 0;
        while r0 < height {
            let rows = band_rows.min(height - r0);
            let rows_eval = (rows + 1).min(height - r0);
            let slot = bands % 2;
            let set = &buffers.slots[slot];
            let queue = &self.ctx.queue;
            // Without the boundary pass the overlap row is not needed (the fused kernel
            // computes it itself).
            let dispatched = if boundary_pass { rows_eval } else { rows };
            queue.write_buffer(
                &buffers.grid_params,
                0,
                bytemuck::bytes_of(&GridParams {
                    origin: [grid.domain.x[0] as f32, grid.domain.y[0] as f32],
                    step: [dx as f32, dy as f32],
                    col_offset: 0,
                    row_offset: r0 as u32,
                    tile_cols: width as u32,
                    tile_rows: dispatched as u32,
                    grid_cols: width as u32,
                    grid_rows: height as u32,
                }),
            );
            queue.write_buffer(
                &buffers.boundary_params,
                0,
                bytemuck::bytes_of(&BoundaryParams {
                    cols: width as u32,
                    rows: rows as u32,
                    rows_available: rows_eval as u32,
                }),
            );
            let mut encoder =
                self.ctx
                    .device
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                        label: Some("grid band"),
                    });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("grid band"),
                    timestamp_writes: None,
                });
                pass.set_pipeline(&eval_pipeline);
                pass.set_bind_group(0, &set.eval_group, &[]);
                let (groups_x, groups_y) = if fused {
                    (
                        (width / PACKED_CELLS).div_ceil(FUSED_WORKGROUP_SIZE as usize) as u32,
                        rows.div_ceil(FLAG_ROWS) as u32,
                    )
                } else {
                    self.eval_dispatch(width, dispatched)
                };
                pass.dispatch_workgroups(groups_x, groups_y, 1);
                if let Some((boundary_pipeline, groups_x)) = &boundary {
                    self.boundary_dispatches
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    pass.set_pipeline(boundary_pipeline);
                    pass.set_bind_group(0, &set.boundary_group, &[]);
                    pass.dispatch_workgroups(*groups_x as u32, rows as u32, 1);
                }
            }
            for (source, read, bytes) in set.copies(buffers, rows) {
                encoder.copy_buffer_to_buffer(source, 0, read, 0, bytes);
            }
            let submission = queue.submit([encoder.finish()]);
            if let Some((previous, first, n, index)) = pending.take() {
                buffers.copy_out(&self.ctx, previous, first, n, index, out)?;
                progress(first + n);
            }
            if readback {
                pending = Some((slot, r0, rows, submission));
            } else {
                progress(r0 + rows);
            }
            bands += 1;
            r0 += rows;
        }
        if let Some((previous, first, n, index)) = pending.take() {
            buffers.copy_out(&self.ctx, previous, first, n, index, out)?;
            progress(first + n);
        }
        self.ctx.wait()?;
        Ok(Timing {
            seconds: started.elapsed().as_secs_f64(),
            bands,
        })
    }
}
