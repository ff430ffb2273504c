//! Bringing a band's results to the host: mapping (the storage buffers themselves on
//! software adapters, readback copies elsewhere) and copying into the host arrays.

use faultline_shader::FLAG_ROWS;

use super::bands::BandBuffers;
use crate::host_copy::{copy_bulk, widen_flags};
use crate::{GpuContext, GpuError, GridOutput};

impl BandBuffers {
    /// Copies the band at `first` row, `rows` rows, from readback `slot` to the host.
    pub(super) fn copy_out(
        &self,
        ctx: &GpuContext,
        slot: usize,
        first: usize,
        rows: usize,
        submission: wgpu::SubmissionIndex,
        out: &mut GridOutput,
    ) -> Result<(), GpuError> {
        let [field, flags, pairs] = &self.slots[slot].read;
        let (cell0, n) = (first * self.width, rows * self.width);
        let c = self.channels;
        let words = self.words;
        if let (Some(read), Some(host)) = (field, out.field.as_mut()) {
            read_into(ctx, &submission, read, n * c * 4, |bytes| {
                copy_bulk(
                    &mut host[cell0 * c..(cell0 + n) * c],
                    bytemuck::cast_slice(bytes),
                );
            })?;
        }
        if let Some(read) = flags {
            let host = &mut out.flags[cell0..cell0 + n];
            if self.fused {
                read_into(ctx, &submission, read, self.flag_bytes(rows), |bytes| {
                    widen_flags(host, bytes, self.width, FLAG_ROWS);
                })?;
            } else {
                read_into(ctx, &submission, read, n * 4, |bytes| {
                    copy_bulk(host, bytemuck::cast_slice(bytes));
                })?;
            }
        }
        if let (Some(read), Some(host)) = (pairs, out.pairs.as_mut()) {
            read_into(ctx, &submission, read, n * words * 4, |bytes| {
                let w: &[u32] = bytemuck::cast_slice(bytes);
                for (i, cell) in host[cell0..cell0 + n].iter_mut().enumerate() {
                    let lo = u64::from(w[i * words]);
                    let hi = if words > 1 {
                        u64::from(w[i * words + 1])
                    } else {
                        0
                    };
                    *cell = lo | hi << 32;
                }
            })?;
        }
        Ok(())
    }
}

/// Maps the first `bytes` of `buffer`, hands them to `f`, unmaps.
pub(super) fn read_into(
    ctx: &GpuContext,
    submission: &wgpu::SubmissionIndex,
    buffer: &wgpu::Buffer,
    bytes: usize,
    f: impl FnOnce(&[u8]),
) -> Result<(), GpuError> {
    let slice = buffer.slice(..bytes as u64);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    // Wait for this band's submission only: the next band keeps the GPU busy meanwhile.
    ctx.device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(submission.clone()),
            timeout: None,
        })
        .map_err(|e| GpuError::Wgpu(e.to_string()))?;
    ctx.take_errors()?;
    rx.recv()
        .map_err(|_| GpuError::Wgpu("buffer mapping was dropped".into()))?
        .map_err(|e| GpuError::Wgpu(format!("mapping a readback buffer: {e}")))?;
    {
        let view = slice
            .get_mapped_range()
            .map_err(|e| GpuError::Wgpu(e.to_string()))?;
        f(&view);
    }
    buffer.unmap();
    Ok(())
}
