//! A field that stays on the GPU, for the renderer to draw from.

use faultline_model::GridSpec;
use wgpu::util::DeviceExt;

use super::pipelines::bind_buffers;
use faultline_shader::Variant;

use super::GridEvaluator;
use crate::GpuError;
use crate::params::GridParams;

impl GridEvaluator {
    /// Evaluates `grid` into a new storage buffer that stays on the GPU: the field
    /// `[H, W, C]` as `f32`, for the renderer to draw from. The grid must fit one buffer
    /// binding and one dispatch (e.g. 4096 x 4096 x 3 needs a device that binds 192 MiB).
    pub fn field_on_gpu(&self, grid: &GridSpec) -> Result<wgpu::Buffer, GpuError> {
        let (width, height) = (grid.width, grid.height);
        let channels = self.kernel.channels;
        let bytes = (width * height * channels * 4) as u64;
        let slack = (self.slack_cells() * channels * 4) as u64;
        let limits = &self.ctx.limits;
        let cap = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        if bytes + slack > cap {
            return Err(GpuError::Grid(format!(
                "a {width}x{height} field of {channels} outputs needs {bytes} bytes, more than one GPU buffer binding here ({cap}); use a smaller grid"
            )));
        }
        let (groups_x, groups_y) = self.eval_dispatch(width, height);
        if groups_y > limits.max_compute_workgroups_per_dimension {
            return Err(GpuError::Grid(format!(
                "{height} rows are more than one dispatch covers here"
            )));
        }
        let device = &self.ctx.device;
        let scope = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let field = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("resident field"),
            size: (bytes + slack).max(4),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let dummy = |label| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: 32,
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            })
        };
        let (classes, signs) = (dummy("unused classes"), dummy("unused signs"));
        let [dx, dy] = grid.step();
        let params = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("grid params"),
            contents: bytemuck::bytes_of(&GridParams {
                origin: [grid.domain.x[0] as f32, grid.domain.y[0] as f32],
                step: [dx as f32, dy as f32],
                col_offset: 0,
                row_offset: 0,
                tile_cols: width as u32,
                tile_rows: height as u32,
                grid_cols: width as u32,
                grid_rows: height as u32,
            }),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Grid(format!(
                "could not allocate the field buffer: {e}"
            )));
        }
        let group = bind_buffers(
            device,
            &self.eval_layout,
            [&params, &field, &classes, &signs, &self.weights],
        );
        let pipeline = self
            .pipeline(Variant::Network {
                field: true,
                classes: false,
                row_aligned: self.row_aligned(grid),
            })?
            .expect("every kernel has a field pipeline");
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("resident field"),
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("resident field"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups(groups_x, groups_y, 1);
        }
        self.ctx.queue.submit([encoder.finish()]);
        self.ctx.take_errors()?;
        Ok(field)
    }
}
