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
    /// The outputs mapped to the floor and to `height_scale`: 0 to 1 for sigmoid and
    /// softmax outputs, otherwise the smallest and largest output over the domain (from a
    /// coarse CPU evaluation), a one-output model's threshold included.
    pub z_range: [f32; 2],
    /// The output's name for the vertical axis ("probability", "logit" or "output").
    pub output_name: String,
    /// The surfaces' heights in [0, 1] of `z_range` on a coarse
    /// [`OUTLINE_SIDE`]² grid (`[surface][row][column]`): what framing fits.
    pub outline: Vec<f32>,
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
        let coarse =
            CpuEvaluator::new(mlp)?.field(&GridSpec::new(domain, OUTLINE_SIDE, OUTLINE_SIDE)?);
        let z_range = output_range(mlp, &coarse.values);
        let outline = outline(mlp, &coarse.values, z_range);
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
            z_range,
            output_name: output_name(mlp).to_string(),
            outline,
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

/// Samples per side of the coarse evaluation behind [`Scene::z_range`] and
/// [`Scene::outline`].
pub const OUTLINE_SIDE: usize = 65;

impl Scene {
    /// Where this scene's inputs and outputs land in world space at `height_scale`.
    pub fn world(&self, height_scale: f32) -> crate::WorldMap {
        crate::WorldMap {
            domain: self.domain,
            z_range: self.z_range,
            height_scale,
        }
    }

    /// What the axes show, at `height_scale`.
    pub fn axes(&self, height_scale: f32) -> crate::axes::AxesInfo<'_> {
        crate::axes::AxesInfo {
            domain: self.domain,
            input_names: &self.input_names,
            output_name: &self.output_name,
            z_range: self.z_range,
            height_scale,
        }
    }
}

/// Whether `mlp`'s outputs are probabilities (a sigmoid or softmax last layer).
fn probabilities(mlp: &Mlp) -> bool {
    use faultline_model::Activation;
    let last = &mlp.layers()[mlp.layers().len() - 1];
    matches!(last.activation, Activation::Sigmoid | Activation::Softmax)
}

/// The vertical axis' name for `mlp`'s outputs.
fn output_name(mlp: &Mlp) -> &'static str {
    use faultline_model::Activation;
    if probabilities(mlp) {
        return "probability";
    }
    match mlp.layers()[mlp.layers().len() - 1].activation {
        Activation::Identity => "logit",
        _ => "output",
    }
}

/// The outputs mapped to the floor and the top: 0 to 1 for probabilities, else the
/// range of `values` (and a one-output model's threshold, whose plane is drawn too).
fn output_range(mlp: &Mlp, values: &[f32]) -> [f32; 2] {
    if probabilities(mlp) {
        return [0.0, 1.0];
    }
    let (lo, hi) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = match mlp.outputs() {
        1 => (lo.min(mlp.threshold()), hi.max(mlp.threshold())),
        _ => (lo, hi),
    };
    if !(lo.is_finite() && hi.is_finite()) {
        return [0.0, 1.0];
    }
    let pad = if hi - lo < 1e-6 { 0.5 } else { 0.0 };
    [lo - pad, hi + pad]
}

/// Every surface's height in [0, 1] of `z_range` at the coarse samples `values`
/// (`[H, W, C]`), surface-major; a one-output model's threshold plane first.
fn outline(mlp: &Mlp, values: &[f32], [z0, z1]: [f32; 2]) -> Vec<f32> {
    let c = mlp.outputs();
    let norm = |v: f32| ((v - z0) / (z1 - z0)).clamp(0.0, 1.0);
    let samples = values.len() / c.max(1);
    if c == 1 {
        let plane = norm(mlp.threshold());
        return std::iter::repeat_n(plane, samples)
            .chain(values.iter().map(|&v| norm(v)))
            .collect();
    }
    (0..c)
        .flat_map(|k| (0..samples).map(move |i| norm(values[i * c + k])))
        .collect()
}

fn srgb_to_linear(v: u8) -> f32 {
    let c = f32::from(v) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}
