//! The grid evaluator: pipelines built once per model, then any number of grids, each run
//! in row bands that fit the device's buffer and dispatch limits.
//!
//! Per band: the network kernel writes the field (if wanted), classes and pair signs for
//! the band's rows plus one row above (the upper neighbours of its last row, unless it
//! ends at the top of the grid); the boundary pass turns them into flags and pairs; only
//! what was asked for is copied into the host arrays: from mappable copies on hardware
//! GPUs, straight from the storage buffers on software adapters. Every cell is computed
//! from its global row and column, so bands of any height give the same bits. On
//! software adapters the kernel is packed (8 cells per invocation, 32-byte stores).

use std::time::Instant;

use faultline_model::{GridSpec, Mlp};
use faultline_shader::{
    BOUNDARY_PACKED_WGSL, BOUNDARY_WGSL, FLAG_ROWS, GridKernel, KernelOptions, PACKED_CELLS,
    ROW_RATIO_LIMIT, Stores, grid_kernel,
};
use wgpu::util::DeviceExt;

use crate::host_copy::{copy_bulk, widen_flags};
use crate::params::{BoundaryParams, GridParams};
use crate::{GpuContext, GpuError, GridOutput};

/// Threads per workgroup, set through the kernels' `WORKGROUP_SIZE` override.
const WORKGROUP_SIZE: u32 = 64;
/// Threads per workgroup of the fused kernel, whose invocations do 16 times the work of
/// the network kernel's: smaller groups balance llvmpipe's threads at the end of a band
/// (8, 16 and 64 measured alike within the noise).
const FUSED_WORKGROUP_SIZE: u32 = 16;
/// The target size of a band's largest buffer: well under lavapipe's 128 MiB binding
/// limit. 8 MiB measured fastest end to end on lavapipe with packed kernels and direct
/// mapping (2-16 MiB tried; fewer dispatches, still cache-friendly).
const BAND_BUDGET_BYTES: u64 = 8 << 20;

/// Environment variable: a folder to write every generated kernel to (debugging).
pub const DUMP_ENV: &str = "FAULTLINE_DUMP_WGSL";

/// Which arrays to bring back. The boundary pass runs only when flags or pairs are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EvalRequest {
    /// The field `[H, W, C]`.
    pub field: bool,
    /// The per-cell flags (class, decision, junction, crossing).
    pub flags: bool,
    /// The pairs bitmask.
    pub pairs: bool,
    /// Force bands of at most this many rows (tests use it to check tiling).
    pub max_band_rows: Option<usize>,
}

/// Where the time of the last evaluation went.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timing {
    /// Seconds from the first dispatch to the last byte on the host.
    pub seconds: f64,
    /// Number of bands.
    pub bands: usize,
}

/// Pipelines for one model on one device.
pub struct GridEvaluator<'a> {
    ctx: &'a GpuContext,
    kernel: GridKernel,
    eval_module: wgpu::ShaderModule,
    eval_pipeline_layout: wgpu::PipelineLayout,
    /// Network pipelines by what they are specialised for: packed kernels are (llvmpipe
    /// runs a masked-off store's lane loop anyway); others have one.
    eval_pipelines: std::sync::Mutex<Vec<(EvalVariant, wgpu::ComputePipeline)>>,
    boundary_pipeline: wgpu::ComputePipeline,
    /// The packed boundary pass's module and layout, for packed kernels with at most two
    /// sign words; its pipelines by whether they write pairs, built on first use.
    boundary_packed: Option<(wgpu::ShaderModule, wgpu::PipelineLayout)>,
    boundary_packed_pipelines: std::sync::Mutex<Vec<(bool, wgpu::ComputePipeline)>>,
    eval_layout: wgpu::BindGroupLayout,
    boundary_layout: wgpu::BindGroupLayout,
    weights: wgpu::Buffer,
    /// The band buffers of the last evaluation, reused when the next one has the same
    /// shape (re-evaluations and benchmarks don't allocate and fault in fresh memory).
    cache: std::sync::Mutex<Option<(BufferKey, BandBuffers)>>,
    /// Multiply-adds per point of the network.
    multiply_adds: usize,
    /// Seconds spent generating WGSL and creating both pipelines.
    pub pipeline_seconds: f64,
}

/// Networks of at most this many multiply-adds per point can take the fused kernel
/// ([`GridEvaluator::prepare_fused`]): it inlines the network 39 times, and llvmpipe's
/// build time grows with that (1.2 s for the paper's 2-3-3 net with 15, 8 s for a
/// 2-8-8-5 net with 120). Larger networks are compute-bound, where the boundary pass
/// weighs less.
pub const FUSED_MULTIPLY_ADD_LIMIT: usize = 64;

/// What a network pipeline is specialised for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EvalVariant {
    /// Writes the field.
    field: bool,
    /// Writes classes and sign words (for the boundary pass).
    classes: bool,
    /// Takes the row path (see [`GridEvaluator::row_aligned`]).
    row_aligned: bool,
    /// The fused entry point `main_flags`: field and flag bytes in one pass (see
    /// [`GridEvaluator::fuses`]).
    fused: bool,
}

/// What band buffers are sized and made for: (width, band rows, field, flags, pairs,
/// readback, fused).
type BufferKey = (usize, usize, bool, bool, bool, bool, bool);

fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn uniform_entry() -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding: 0,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl<'a> GridEvaluator<'a> {
    /// Generates the kernel for `mlp` and builds both pipelines.
    pub fn new(ctx: &'a GpuContext, mlp: &Mlp, options: KernelOptions) -> Result<Self, GpuError> {
        let started = Instant::now();
        let stores = match options.stores {
            Stores::Auto if options.lanes == 4 && ctx.prefers_packed_stores() => Stores::Packed,
            Stores::Auto => Stores::Lanes,
            chosen => chosen,
        };
        let kernel = grid_kernel(mlp, KernelOptions { stores, ..options })?;
        if let Ok(dir) = std::env::var(DUMP_ENV) {
            let path = std::path::Path::new(&dir).join(format!("grid-{}.wgsl", mlp.architecture()));
            let _ = std::fs::write(path, &kernel.source);
        }
        let device = &ctx.device;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let eval_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("grid eval"),
            entries: &[
                uniform_entry(),
                storage_entry(1, false),
                storage_entry(2, false),
                storage_entry(3, false),
                storage_entry(4, true),
            ],
        });
        let boundary_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("boundary"),
            entries: &[
                uniform_entry(),
                storage_entry(1, true),
                storage_entry(2, true),
                storage_entry(3, false),
                storage_entry(4, false),
            ],
        });
        let pipeline = |label: &str,
                        source: &str,
                        layout: &wgpu::BindGroupLayout,
                        constants: &[(&str, f64)]| {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
            let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(label),
                bind_group_layouts: &[Some(layout)],
                immediate_size: 0,
            });
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(label),
                layout: Some(&layout),
                module: &module,
                entry_point: Some("main"),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    ..Default::default()
                },
                cache: None,
            })
        };
        let workgroup = ("WORKGROUP_SIZE", f64::from(WORKGROUP_SIZE));
        let eval_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("grid eval"),
            source: wgpu::ShaderSource::Wgsl(kernel.source.as_str().into()),
        });
        let eval_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("grid eval"),
            bind_group_layouts: &[Some(&eval_layout)],
            immediate_size: 0,
        });
        let boundary_pipeline = pipeline(
            "boundary",
            BOUNDARY_WGSL,
            &boundary_layout,
            &[workgroup, ("SIGN_WORDS", kernel.sign_words as f64)],
        );
        let boundary_packed = (kernel.packed && kernel.sign_words <= 2).then(|| {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("boundary packed"),
                source: wgpu::ShaderSource::Wgsl(BOUNDARY_PACKED_WGSL.into()),
            });
            let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("boundary packed"),
                bind_group_layouts: &[Some(&boundary_layout)],
                immediate_size: 0,
            });
            (module, layout)
        });
        let weights_data: &[f32] = if kernel.weights.is_empty() {
            &[0.0]
        } else {
            &kernel.weights
        };
        let weights = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("weights"),
            contents: bytemuck::cast_slice(weights_data),
            usage: wgpu::BufferUsages::STORAGE,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Wgpu(format!("building the kernels: {e}")));
        }
        ctx.wait()?;
        let evaluator = GridEvaluator {
            ctx,
            kernel,
            eval_module,
            eval_pipeline_layout,
            eval_pipelines: std::sync::Mutex::new(Vec::new()),
            boundary_pipeline,
            boundary_packed,
            boundary_packed_pipelines: std::sync::Mutex::new(Vec::new()),
            eval_layout,
            boundary_layout,
            weights,
            cache: std::sync::Mutex::new(None),
            multiply_adds: faultline_shader::multiply_adds(mlp),
            pipeline_seconds: 0.0,
        };
        // The field-only pipeline is what most callers need first; the time includes it.
        evaluator.eval_pipeline(EvalVariant {
            field: true,
            classes: false,
            row_aligned: false,
            fused: false,
        })?;
        Ok(GridEvaluator {
            pipeline_seconds: started.elapsed().as_secs_f64(),
            ..evaluator
        })
    }

    /// The network pipeline for `variant`, built on first use (kernels that are not
    /// packed have one pipeline for everything).
    fn eval_pipeline(&self, variant: EvalVariant) -> Result<wgpu::ComputePipeline, GpuError> {
        let key = if self.kernel.packed {
            variant
        } else {
            EvalVariant {
                field: true,
                classes: true,
                row_aligned: false,
                fused: false,
            }
        };
        let mut built = self.eval_pipelines.lock().expect("pipeline cache");
        if let Some((_, p)) = built.iter().find(|(k, _)| *k == key) {
            return Ok(p.clone());
        }
        let wg = if key.fused {
            FUSED_WORKGROUP_SIZE
        } else {
            WORKGROUP_SIZE
        };
        let mut constants = vec![("WORKGROUP_SIZE", f64::from(wg))];
        if self.kernel.packed {
            constants.push(("WRITE_FIELD", f64::from(u8::from(key.field))));
            constants.push(("WRITE_CLASSES", f64::from(u8::from(key.classes))));
            constants.push(("ROW_ALIGNED", f64::from(u8::from(key.row_aligned))));
        }
        let pipeline = self.specialised_pipeline(
            "grid eval",
            &self.eval_module,
            if key.fused { "main_flags" } else { "main" },
            &self.eval_pipeline_layout,
            &constants,
        )?;
        built.push((key, pipeline.clone()));
        Ok(pipeline)
    }

    /// Whether the packed kernel takes its row path (`ROW_ALIGNED`) on `grid`: only where
    /// the path shares work along rows, rows are a multiple of 8 wide (an invocation's
    /// cells in one row) and the columns are close enough for the shared exponentials
    /// ([`ROW_RATIO_LIMIT`]).
    fn row_aligned(&self, grid: &GridSpec) -> bool {
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
    fn fused_variant(&self, grid: &GridSpec, request: &EvalRequest) -> Option<EvalVariant> {
        let fits = self.kernel.packed
            && self.multiply_adds <= FUSED_MULTIPLY_ADD_LIMIT
            && request.flags
            && !request.pairs
            && grid.width.is_multiple_of(PACKED_CELLS)
            && self.kernel.channels <= 32
            && self.kernel.sign_words <= 2;
        fits.then(|| EvalVariant {
            field: request.field,
            classes: false,
            row_aligned: self.row_aligned(grid),
            fused: true,
        })
    }

    /// Whether `request` on `grid` takes the fused kernel: where it can and its pipeline
    /// is built ([`Self::prepare_fused`]).
    fn fuses(&self, grid: &GridSpec, request: &EvalRequest) -> bool {
        self.fused_variant(grid, request).is_some_and(|v| {
            let built = self.eval_pipelines.lock().expect("pipeline cache");
            built.iter().any(|(k, _)| *k == v)
        })
    }

    /// Builds the fused kernel's pipeline for `request` on grids like `grid`, if the
    /// kernel can take it there; later evaluations of such requests then run in one pass
    /// instead of the network kernel and a boundary pass (on lavapipe, seed net at 4096^2:
    /// +8-19 % over the field alone instead of +108-154 %). Returns whether it will.
    ///
    /// Not done by default: the fused kernel inlines the network 39 times and llvmpipe
    /// takes about 1.2 s to build it for the paper's 2-3-3 net, more than it saves on one
    /// evaluation of any grid that fits in memory. Worth it for repeated evaluations
    /// (benchmarks, a loop re-evaluating a training model).
    pub fn prepare_fused(&self, grid: &GridSpec, request: &EvalRequest) -> Result<bool, GpuError> {
        match self.fused_variant(grid, request) {
            Some(variant) => self.eval_pipeline(variant).map(|_| true),
            None => Ok(false),
        }
    }

    /// The generated kernel.
    pub fn kernel(&self) -> &GridKernel {
        &self.kernel
    }

    /// A compute pipeline of `module`'s `entry_point` with override `constants`.
    fn specialised_pipeline(
        &self,
        label: &str,
        module: &wgpu::ShaderModule,
        entry_point: &str,
        layout: &wgpu::PipelineLayout,
        constants: &[(&str, f64)],
    ) -> Result<wgpu::ComputePipeline, GpuError> {
        let device = &self.ctx.device;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(label),
            layout: Some(layout),
            module,
            entry_point: Some(entry_point),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants,
                ..Default::default()
            },
            cache: None,
        });
        match pollster::block_on(scope.pop()) {
            Some(e) => Err(GpuError::Wgpu(format!(
                "building the {label} pipeline: {e}"
            ))),
            None => Ok(pipeline),
        }
    }

    /// The packed boundary pass writing pairs or not, built on first use; `None` where
    /// the kernel is not packed or has more than two sign words.
    fn boundary_packed_pipeline(
        &self,
        pairs: bool,
    ) -> Result<Option<wgpu::ComputePipeline>, GpuError> {
        let Some((module, layout)) = &self.boundary_packed else {
            return Ok(None);
        };
        let mut built = self
            .boundary_packed_pipelines
            .lock()
            .expect("pipeline cache");
        if let Some((_, p)) = built.iter().find(|(k, _)| *k == pairs) {
            return Ok(Some(p.clone()));
        }
        let constants = [
            ("WORKGROUP_SIZE", f64::from(WORKGROUP_SIZE)),
            ("SIGN_WORDS", self.kernel.sign_words as f64),
            ("WRITE_PAIRS", f64::from(u8::from(pairs))),
        ];
        let pipeline =
            self.specialised_pipeline("boundary packed", module, "main", layout, &constants)?;
        built.push((pairs, pipeline.clone()));
        Ok(Some(pipeline))
    }

    /// Workgroups (x, y) of the network kernel for a tile of `cols` x `rows` cells.
    fn eval_dispatch(&self, cols: usize, rows: usize) -> (u32, u32) {
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
    fn slack_cells(&self) -> usize {
        if self.kernel.packed { PACKED_CELLS } else { 0 }
    }

    /// Rows per band for a grid `width` wide (`fused`: with the fused kernel).
    fn band_rows(
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

    /// Evaluates `grid` and copies the requested arrays to the host.
    pub fn evaluate(
        &self,
        grid: &GridSpec,
        request: &EvalRequest,
    ) -> Result<(GridOutput, Timing), GpuError> {
        let mut out = GridOutput::default();
        let timing = self.run(grid, request, Some(&mut out), &mut |_| {})?;
        Ok((out, timing))
    }

    /// [`GridEvaluator::evaluate`] into `out`, reusing its arrays when they have the
    /// right sizes (repeated evaluations then write into memory that is already there).
    pub fn evaluate_into(
        &self,
        grid: &GridSpec,
        request: &EvalRequest,
        out: &mut GridOutput,
    ) -> Result<Timing, GpuError> {
        self.run(grid, request, Some(out), &mut |_| {})
    }

    /// [`GridEvaluator::evaluate`], calling `progress(rows_done)` after each band.
    pub fn evaluate_with_progress(
        &self,
        grid: &GridSpec,
        request: &EvalRequest,
        progress: &mut dyn FnMut(usize),
    ) -> Result<(GridOutput, Timing), GpuError> {
        let mut out = GridOutput::default();
        let timing = self.run(grid, request, Some(&mut out), progress)?;
        Ok((out, timing))
    }

    /// Evaluates `grid` with the results left on the GPU (discarded): what a renderer
    /// pays per re-evaluation. The timing covers dispatch to completion.
    pub fn evaluate_on_gpu(
        &self,
        grid: &GridSpec,
        request: &EvalRequest,
    ) -> Result<Timing, GpuError> {
        self.run(grid, request, None, &mut |_| {})
    }

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
                write_field: 1,
                write_classes: 0,
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
        let pipeline = self.eval_pipeline(EvalVariant {
            field: true,
            classes: false,
            row_aligned: self.row_aligned(grid),
            fused: false,
        })?;
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

    fn run(
        &self,
        grid: &GridSpec,
        request: &EvalRequest,
        host: Option<&mut GridOutput>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Timing, GpuError> {
        let readback = host.is_some();
        let (width, height) = (grid.width, grid.height);
        let channels = self.kernel.channels;
        if request.pairs
            && faultline_model::pair_count(channels) > faultline_model::arrays::MAX_PAIRS
        {
            return Err(GpuError::Grid(format!(
                "{channels} outputs make {} pairs; a pairs array holds at most {}",
                faultline_model::pair_count(channels),
                faultline_model::arrays::MAX_PAIRS
            )));
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
        let eval_pipeline = self.eval_pipeline(EvalVariant {
            field: request.field,
            classes: boundary_pass,
            row_aligned: self.row_aligned(grid),
            fused,
        })?;
        // Rows a multiple of 8 wide keep the packed pass's 8-cell blocks within a row.
        let packed_boundary = match boundary_pass && width % PACKED_CELLS == 0 {
            true => self.boundary_packed_pipeline(request.pairs)?,
            false => None,
        };
        let (boundary_pipeline, boundary_groups_x) = match packed_boundary {
            Some(p) => (p, (width / PACKED_CELLS).div_ceil(WORKGROUP_SIZE as usize)),
            None => (
                self.boundary_pipeline.clone(),
                width.div_ceil(WORKGROUP_SIZE as usize),
            ),
        };
        let mut scratch = GridOutput::default();
        let out = host.unwrap_or(&mut scratch);
        out.shape_for(width, height, channels, request, readback);
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
                    write_field: u32::from(request.field),
                    write_classes: u32::from(boundary_pass),
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
                    write_pairs: u32::from(request.pairs),
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
                if boundary_pass {
                    pass.set_pipeline(&boundary_pipeline);
                    pass.set_bind_group(0, &set.boundary_group, &[]);
                    pass.dispatch_workgroups(boundary_groups_x as u32, rows as u32, 1);
                }
            }
            for (source, read, bytes) in set.copies(buffers, rows) {
                encoder.copy_buffer_to_buffer(source, 0, read, 0, bytes);
            }
            let submission = queue.submit([encoder.finish()]);
            if let Some((previous, first, n, index)) = pending.take() {
                buffers.copy_out(self.ctx, previous, first, n, index, out)?;
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
            buffers.copy_out(self.ctx, previous, first, n, index, out)?;
            progress(first + n);
        }
        self.ctx.wait()?;
        Ok(Timing {
            seconds: started.elapsed().as_secs_f64(),
            bands,
        })
    }
}

/// The buffers of one band in flight: what the kernels write, their bind groups, and
/// the buffers its results are mapped from.
struct BandSlot {
    field: wgpu::Buffer,
    /// Classes for the boundary pass, or the fused kernel's flag bytes.
    classes: wgpu::Buffer,
    flags: wgpu::Buffer,
    pairs: wgpu::Buffer,
    eval_group: wgpu::BindGroup,
    boundary_group: wgpu::BindGroup,
    /// (field, flags, pairs) buffers to map, for what was requested: the storage buffers
    /// themselves when the adapter maps them directly, else separate readback buffers.
    read: [Option<wgpu::Buffer>; 3],
}

impl BandSlot {
    /// (source, readback buffer, bytes) for each array of a band of `rows` rows that
    /// needs a copy.
    fn copies<'s>(
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
struct BandBuffers {
    slots: [BandSlot; 2],
    grid_params: wgpu::Buffer,
    boundary_params: wgpu::Buffer,
    /// Results are mapped from the storage buffers (no copy pass).
    direct: bool,
    /// The fused kernel writes flag bytes into `classes` (no boundary pass).
    fused: bool,
    channels: usize,
    words: usize,
    width: usize,
}

impl BandBuffers {
    fn new(
        ev: &GridEvaluator<'_>,
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
                    wanted[1].then(|| buffer("flags readback", band_cells * 4, readable)),
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
    fn flag_bytes(&self, rows: usize) -> usize {
        rows.next_multiple_of(FLAG_ROWS) * self.width
    }

    /// Copies the band at `first` row, `rows` rows, from readback `slot` to the host.
    fn copy_out(
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

/// A bind group of five whole buffers at bindings 0..5 (both kernels' layout).
fn bind_buffers(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    buffers: [&wgpu::Buffer; 5],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: b.as_entire_binding(),
        })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout,
        entries: &entries,
    })
}

/// Maps the first `bytes` of `buffer`, hands them to `f`, unmaps.
fn read_into(
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
