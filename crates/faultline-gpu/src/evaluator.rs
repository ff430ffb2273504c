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

mod bands;
mod pipelines;
mod plan;
mod readback;
mod resident;
mod run;

use std::time::Instant;

use faultline_model::{GridSpec, Mlp};
use faultline_shader::{GridKernel, KernelOptions, Module, Stores, Variant, grid_kernel};
use wgpu::util::DeviceExt;

use crate::{GpuContext, GpuError, GridOutput};
use bands::BandBuffers;
use pipelines::{storage_entry, uniform_entry};

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
pub struct GridEvaluator {
    ctx: GpuContext,
    kernel: GridKernel,
    /// Shader modules of the kernel family with their pipeline layouts, built on first use.
    modules: std::sync::Mutex<Vec<(Module, wgpu::ShaderModule, wgpu::PipelineLayout)>>,
    /// Pipelines by the variant they are specialised for, built on first use.
    pipelines: std::sync::Mutex<Vec<(Variant, wgpu::ComputePipeline)>>,
    eval_layout: wgpu::BindGroupLayout,
    boundary_layout: wgpu::BindGroupLayout,
    weights: wgpu::Buffer,
    /// The band buffers of the last evaluation, reused when the next one has the same
    /// shape (re-evaluations and benchmarks don't allocate and fault in fresh memory).
    cache: std::sync::Mutex<Option<(BufferKey, BandBuffers)>>,
    /// Multiply-adds per point of the network.
    multiply_adds: usize,
    /// A one-output model's class threshold (`Mlp::threshold`).
    pub(crate) threshold: f32,
    /// Boundary pass dispatches so far (tests check what a request runs).
    boundary_dispatches: std::sync::atomic::AtomicUsize,
    /// Seconds spent generating WGSL and creating the field pipeline.
    pub pipeline_seconds: f64,
}

/// On the software path, networks of at most this many multiply-adds per point get packed
/// kernels; larger ones the lane-store kernel, which llvmpipe compiles several times
/// faster and which runs as fast or faster there (measured per size in BENCHMARKS.md,
/// "Kernel choice on software adapters").
pub const PACKED_MULTIPLY_ADD_LIMIT: usize = 1024;

/// Networks of at most this many multiply-adds per point can take the fused kernel
/// ([`GridEvaluator::prepare_fused`]): it inlines the network 39 times, and llvmpipe's
/// build time grows with that (BENCHMARKS.md). Larger networks are compute-bound, where
/// the boundary pass weighs less.
pub const FUSED_MULTIPLY_ADD_LIMIT: usize = 64;

/// What band buffers are sized and made for: (width, band rows, field, flags, pairs,
/// readback, fused).
pub(super) type BufferKey = (usize, usize, bool, bool, bool, bool, bool);

impl GridEvaluator {
    /// Generates the kernel for `mlp` and builds its field pipeline (the others are built
    /// on first use).
    pub fn new(ctx: &GpuContext, mlp: &Mlp, options: KernelOptions) -> Result<Self, GpuError> {
        let started = Instant::now();
        let stores = match options.stores {
            Stores::Auto
                if options.lanes == 4
                    && ctx.prefers_packed_stores()
                    && faultline_shader::multiply_adds(mlp) <= PACKED_MULTIPLY_ADD_LIMIT =>
            {
                Stores::Packed
            }
            Stores::Auto => Stores::Lanes,
            Stores::Packed if !ctx.has_int64() => {
                return Err(GpuError::Grid(format!(
                    "packed kernels need 64-bit integers in shaders, which {} lacks",
                    ctx.describe()
                )));
            }
            chosen => chosen,
        };
        let kernel = grid_kernel(mlp, KernelOptions { stores, ..options })?;
        if let Ok(dir) = std::env::var(DUMP_ENV) {
            let path = std::path::Path::new(&dir).join(format!("grid-{}.wgsl", mlp.architecture()));
            let written =
                std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &kernel.source));
            if let Err(e) = written {
                eprintln!("warning: {DUMP_ENV}: writing {}: {e}", path.display());
            }
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
            ctx: ctx.clone(),
            kernel,
            modules: std::sync::Mutex::new(Vec::new()),
            pipelines: std::sync::Mutex::new(Vec::new()),
            eval_layout,
            boundary_layout,
            weights,
            cache: std::sync::Mutex::new(None),
            multiply_adds: faultline_shader::multiply_adds(mlp),
            threshold: mlp.threshold(),
            boundary_dispatches: Default::default(),
            pipeline_seconds: 0.0,
        };
        // The field-only pipeline is what most callers need first (its module is validated
        // with it); the time includes it.
        evaluator.pipeline(Variant::Network {
            field: true,
            classes: false,
            row_aligned: false,
        })?;
        Ok(GridEvaluator {
            pipeline_seconds: started.elapsed().as_secs_f64(),
            ..evaluator
        })
    }

    /// Builds the fused kernel's pipeline for `request` on grids like `grid`, if the
    /// kernel can take it there; later evaluations of such requests then run in one pass
    /// instead of the network kernel and a boundary pass (BENCHMARKS.md has the overheads
    /// on lavapipe). Returns whether it will.
    ///
    /// Not done by default: the fused kernel inlines the network 39 times and llvmpipe
    /// takes about a second to build it for the paper's 2-3-3 net, more than it saves on one
    /// evaluation of any grid that fits in memory. Worth it for repeated evaluations
    /// (benchmarks, a loop re-evaluating a training model).
    pub fn prepare_fused(&self, grid: &GridSpec, request: &EvalRequest) -> Result<bool, GpuError> {
        match self.fused_variant(grid, request) {
            Some(variant) => self.pipeline(variant).map(|p| p.is_some()),
            None => Ok(false),
        }
    }

    /// The generated kernel.
    pub fn kernel(&self) -> &GridKernel {
        &self.kernel
    }

    /// How many boundary pass dispatches this evaluator has made (requests for the field
    /// alone make none).
    pub fn boundary_passes(&self) -> usize {
        self.boundary_dispatches
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many pipelines this evaluator has built so far (each is built once, on first
    /// use, and kept: re-evaluating at another size builds none unless it needs another
    /// variant).
    pub fn pipelines_built(&self) -> usize {
        self.pipelines.lock().expect("pipeline cache").len()
    }

    /// The device it runs on.
    pub fn context(&self) -> &GpuContext {
        &self.ctx
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
}
