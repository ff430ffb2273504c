//! An evaluated landscape on the GPU ([`Scene`]) and the engine that evaluates it
//! ([`SceneEngine`]): on a hardware GPU the grid kernel writes the field straight into
//! the buffer the renderer draws from; on a software adapter the native CPU engine
//! evaluates it (milliseconds, where llvmpipe would first spend seconds compiling a
//! kernel for this model) and it is uploaded.

use faultline_cpu::CpuEvaluator;
use faultline_gpu::{GpuContext, GpuPath, GridEvaluator};
use faultline_model::{Domain, GridEngine, GridRequest, GridSpec, Mlp};
use faultline_shader::KernelOptions;
use wgpu::util::DeviceExt;

use crate::landscape::MAX_CLASSES;
use crate::{RenderError, class_colour};

/// What evaluates a model's field for drawing, built once per model and kept across
/// resolution changes (no kernel is generated or compiled again).
pub enum SceneEngine {
    /// The GPU kernel, writing a field that stays on the device.
    Resident(Box<GridEvaluator>),
    /// A host engine (the native CPU one on software adapters); its field is uploaded.
    Host(Box<dyn GridEngine>),
}

impl SceneEngine {
    /// The engine for `mlp` on `ctx`: the native CPU engine on the software path, the
    /// GPU-resident field on the hardware path (any adapter with
    /// `FAULTLINE_GPU_PATH=hardware`).
    pub fn for_context(ctx: &GpuContext, mlp: &Mlp) -> Result<SceneEngine, RenderError> {
        Ok(match ctx.path {
            GpuPath::Software => SceneEngine::Host(Box::new(CpuEvaluator::new(mlp)?)),
            GpuPath::Hardware => SceneEngine::Resident(Box::new(GridEvaluator::new(
                ctx,
                mlp,
                KernelOptions::default(),
            )?)),
        })
    }

    /// The native CPU engine for `mlp` on any adapter: what a moved slice is evaluated
    /// with, since it needs no kernel compiled.
    pub fn on_cpu(mlp: &Mlp) -> Result<SceneEngine, RenderError> {
        Ok(SceneEngine::Host(Box::new(CpuEvaluator::new(mlp)?)))
    }

    /// One line for reports: which engine evaluates the field.
    pub fn describe(&self) -> String {
        match self {
            SceneEngine::Resident(ev) => format!("{}, field resident", ev.describe()),
            SceneEngine::Host(engine) => format!("{}, field uploaded", engine.describe()),
        }
    }

    /// The field of `grid` in a storage buffer on `ctx`'s device.
    fn field_buffer(&self, ctx: &GpuContext, grid: &GridSpec) -> Result<wgpu::Buffer, RenderError> {
        match self {
            SceneEngine::Resident(ev) => Ok(ev.field_on_gpu(grid)?),
            SceneEngine::Host(engine) => {
                let arrays = engine.evaluate(grid, &GridRequest::field(), &mut |_| {})?;
                let values = arrays.field.unwrap_or_default();
                Ok(ctx
                    .device
                    .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("uploaded field"),
                        contents: bytemuck::cast_slice(if values.is_empty() {
                            &[0.0f32][..]
                        } else {
                            &values
                        }),
                        usage: wgpu::BufferUsages::STORAGE,
                    }))
            }
        }
    }
}

/// An evaluated landscape on the GPU: the field buffer and what drawing it needs.
pub struct Scene {
    /// `[H, W, C]` f32, written by the grid kernel or uploaded from the host.
    pub field: wgpu::Buffer,
    /// Class colours (linear RGBA), one per output.
    pub(crate) colours: wgpu::Buffer,
    /// W.
    pub width: usize,
    /// H.
    pub height: usize,
    /// C.
    pub channels: usize,
    /// The surfaces drawn: C, or 2 for a one-output model (its threshold plane as class
    /// 0, its output as class 1).
    pub surfaces: usize,
    /// A one-output model's class threshold (`Mlp::threshold`).
    pub threshold: f32,
    /// The smallest and largest output over the domain (from a coarse CPU evaluation),
    /// mapped to the floor and to `height_scale`.
    pub z_range: [f32; 2],
    /// The input rectangle shown.
    pub domain: Domain,
    /// The class names, one per output (the legend).
    pub class_names: Vec<String>,
    /// The two input names (the axes).
    pub input_names: [String; 2],
    /// Data samples drawn on the landscape (`--data`), set by the caller.
    pub dots: Vec<crate::SceneDot>,
}

impl Scene {
    /// Evaluates `mlp` on a `resolution` x `resolution` grid over `domain` with the engine
    /// [`SceneEngine::for_context`] picks, into a field buffer on `ctx`'s device.
    pub fn new(
        ctx: &GpuContext,
        mlp: &Mlp,
        domain: Domain,
        resolution: usize,
    ) -> Result<Scene, RenderError> {
        Scene::evaluate(
            ctx,
            &SceneEngine::for_context(ctx, mlp)?,
            mlp,
            domain,
            resolution,
        )
    }

    /// Like [`Scene::new`] with a given engine (the viewer keeps one across resolution
    /// changes). `engine` must be `mlp`'s.
    pub fn evaluate(
        ctx: &GpuContext,
        engine: &SceneEngine,
        mlp: &Mlp,
        domain: Domain,
        resolution: usize,
    ) -> Result<Scene, RenderError> {
        if mlp.outputs() > MAX_CLASSES {
            return Err(RenderError::Input(format!(
                "{} outputs; the landscape draws at most {MAX_CLASSES}",
                mlp.outputs()
            )));
        }
        let resolution = resolution.max(2);
        let grid = GridSpec::new(domain, resolution, resolution)?;
        let field = engine.field_buffer(ctx, &grid)?;
        // The height range from a coarse evaluation on the CPU: no field round trip.
        let coarse = CpuEvaluator::new(mlp)?.field(&GridSpec::new(domain, 65, 65)?);
        let (lo, hi) = coarse
            .values
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        // A one-output model's threshold plane is drawn too.
        let (lo, hi) = match mlp.outputs() {
            1 => (lo.min(mlp.threshold()), hi.max(mlp.threshold())),
            _ => (lo, hi),
        };
        let span = (hi - lo).max(1e-6);
        let colours: Vec<[f32; 4]> = (0..mlp.classes())
            .map(|k| {
                let [r, g, b] = class_colour(k).map(srgb_to_linear);
                [r, g, b, 1.0]
            })
            .collect();
        let colours = wgpu::util::DeviceExt::create_buffer_init(
            &ctx.device,
            &wgpu::util::BufferInitDescriptor {
                label: Some("class colours"),
                contents: bytemuck::cast_slice(&colours),
                usage: wgpu::BufferUsages::STORAGE,
            },
        );
        Ok(Scene {
            field,
            colours,
            width: resolution,
            height: resolution,
            channels: mlp.outputs(),
            surfaces: mlp.classes(),
            threshold: mlp.threshold(),
            z_range: [lo - 0.02 * span, hi + 0.02 * span],
            domain,
            class_names: mlp.class_names(),
            input_names: {
                let names = mlp.input_names();
                [names[0].clone(), names[1].clone()]
            },
            dots: Vec::new(),
        })
    }
}

fn srgb_to_linear(v: u8) -> f32 {
    let c = f32::from(v) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}
