//! The landscape renderer: surfaces, the floor map and axes, into any texture.
//!
//! Long-lived state (pipelines, uniform buffer, MSAA and depth targets) lives in
//! [`LandscapeRenderer`]; per-frame data is a camera and [`ViewOptions`]. The field is read
//! by the shaders straight from the GPU buffer the grid kernel filled ([`Scene`]).

use bytemuck::{Pod, Zeroable};
use faultline_cpu::CpuEvaluator;
use faultline_gpu::{GpuContext, GridEvaluator};
use faultline_model::{Domain, GridSpec, Mlp};
use faultline_shader::KernelOptions;

use crate::{Camera, RenderError, class_colour};

/// The hand-written landscape shader.
pub const LANDSCAPE_WGSL: &str = include_str!("../../../shaders/landscape.wgsl");
/// Multisampling of the colour target.
pub const SAMPLE_COUNT: u32 = 4;
/// The most classes the renderer draws (the landscape shader's array size, kept small:
/// per-fragment arrays are slow on software rasterisers).
pub const MAX_CLASSES: usize = 16;
const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

/// What the surfaces show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every visible class surface, see-through where they overlap.
    All,
    /// The upper envelope (the winning surface), coloured by class.
    Envelope,
    /// One class alone.
    Single(usize),
}

/// Per-frame drawing options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewOptions {
    /// Which surfaces.
    pub mode: Mode,
    /// Bit k set: class k is drawn in [`Mode::All`] (classes from 32 on are always drawn).
    pub visible: u32,
    /// Height of the tallest output above the floor, in world units (the floor is 2 wide).
    pub height_scale: f32,
    /// Draw the decision boundary.
    pub decision: bool,
    /// Draw the pairwise crossings.
    pub crossings: bool,
    /// Highlight junctions.
    pub junctions: bool,
    /// Draw the floor map and axes.
    pub floor: bool,
    /// Mesh step in grid samples (1 = full resolution; larger while the camera moves).
    pub mesh_step: u32,
    /// Opacity of the surfaces in [`Mode::All`].
    pub alpha: f32,
    /// Skip the per-fragment lines (used while the camera moves).
    pub fast: bool,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            mode: Mode::All,
            visible: u32::MAX,
            height_scale: 0.8,
            decision: true,
            crossings: true,
            junctions: true,
            floor: true,
            mesh_step: 1,
            alpha: 0.82,
            fast: false,
        }
    }
}

/// Keep in sync with `Uniforms` in shaders/landscape.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Uniforms {
    view_proj: [[f32; 4]; 4],
    eye: [f32; 4],
    light: [f32; 4],
    grid: [u32; 4],
    shape: [f32; 4],
    view: [u32; 4],
}

const _: () = assert!(std::mem::size_of::<Uniforms>() == 144);

/// An evaluated landscape on the GPU: the field buffer and what drawing it needs.
pub struct Scene {
    /// `[H, W, C]` f32, written by the grid kernel.
    pub field: wgpu::Buffer,
    /// Class colours (linear RGBA), one per output.
    colours: wgpu::Buffer,
    /// W.
    pub width: usize,
    /// H.
    pub height: usize,
    /// C.
    pub channels: usize,
    /// The smallest and largest output over the domain (from a coarse CPU evaluation),
    /// mapped to the floor and to `height_scale`.
    pub z_range: [f32; 2],
    /// The input rectangle shown.
    pub domain: Domain,
}

impl Scene {
    /// Evaluates `mlp` on a `resolution` x `resolution` grid over `domain`, on the GPU,
    /// and keeps the field there.
    pub fn new(
        ctx: &GpuContext,
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
        let evaluator = GridEvaluator::new(ctx, mlp, KernelOptions::default())?;
        let field = evaluator.field_on_gpu(&grid)?;
        // The height range from a coarse evaluation on the CPU: no field round trip.
        let coarse = CpuEvaluator::new(mlp)?.field(&GridSpec::new(domain, 65, 65)?);
        let (lo, hi) = coarse
            .values
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let span = (hi - lo).max(1e-6);
        let colours: Vec<[f32; 4]> = (0..mlp.outputs())
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
            z_range: [lo - 0.02 * span, hi + 0.02 * span],
            domain,
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

/// Pipelines and targets for drawing landscapes into textures of one format.
pub struct LandscapeRenderer {
    format: wgpu::TextureFormat,
    layout: wgpu::BindGroupLayout,
    uniforms: wgpu::Buffer,
    opaque: wgpu::RenderPipeline,
    blended: wgpu::RenderPipeline,
    floor: wgpu::RenderPipeline,
    axes: wgpu::RenderPipeline,
    targets: Option<(u32, u32, wgpu::TextureView, wgpu::TextureView)>,
}

impl LandscapeRenderer {
    /// Builds the pipelines for colour targets of `format`.
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> LandscapeRenderer {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("landscape"),
            source: wgpu::ShaderSource::Wgsl(LANDSCAPE_WGSL.into()),
        });
        let entry = |binding, ty| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let read_only = wgpu::BufferBindingType::Storage { read_only: true };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("landscape"),
            entries: &[
                entry(0, wgpu::BufferBindingType::Uniform),
                entry(1, read_only),
                entry(2, read_only),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("landscape"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = |label: &str,
                        vs: &str,
                        fs: &str,
                        topology: wgpu::PrimitiveTopology,
                        blend: Option<wgpu::BlendState>,
                        depth_write: bool| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(&pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some(vs),
                    compilation_options: Default::default(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState {
                    topology,
                    cull_mode: None,
                    ..Default::default()
                },
                depth_stencil: Some(wgpu::DepthStencilState {
                    format: DEPTH_FORMAT,
                    depth_write_enabled: Some(depth_write),
                    depth_compare: Some(wgpu::CompareFunction::LessEqual),
                    stencil: Default::default(),
                    bias: Default::default(),
                }),
                multisample: wgpu::MultisampleState {
                    count: SAMPLE_COUNT,
                    ..Default::default()
                },
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some(fs),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format,
                        blend,
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        use wgpu::PrimitiveTopology::{LineList, TriangleList};
        LandscapeRenderer {
            format,
            uniforms: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("landscape uniforms"),
                size: std::mem::size_of::<Uniforms>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            opaque: pipeline(
                "surfaces",
                "vs_surface",
                "fs_surface",
                TriangleList,
                None,
                true,
            ),
            blended: pipeline(
                "see-through surfaces",
                "vs_surface",
                "fs_surface",
                TriangleList,
                Some(wgpu::BlendState::ALPHA_BLENDING),
                false,
            ),
            floor: pipeline("floor", "vs_floor", "fs_floor", TriangleList, None, true),
            axes: pipeline("axes", "vs_axes", "fs_axes", LineList, None, true),
            layout,
            targets: None,
        }
    }

    /// The colour format this renderer draws into.
    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }

    /// The multisampled colour and depth targets for `width` x `height`, made on demand.
    fn targets(
        &mut self,
        device: &wgpu::Device,
        width: u32,
        height: u32,
    ) -> (wgpu::TextureView, wgpu::TextureView) {
        if !matches!(&self.targets, Some((w, h, ..)) if *w == width && *h == height) {
            let texture = |label, format| {
                device
                    .create_texture(&wgpu::TextureDescriptor {
                        label: Some(label),
                        size: wgpu::Extent3d {
                            width,
                            height,
                            depth_or_array_layers: 1,
                        },
                        mip_level_count: 1,
                        sample_count: SAMPLE_COUNT,
                        dimension: wgpu::TextureDimension::D2,
                        format,
                        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
                        view_formats: &[],
                    })
                    .create_view(&Default::default())
            };
            self.targets = Some((
                width,
                height,
                texture("landscape msaa", self.format),
                texture("landscape depth", DEPTH_FORMAT),
            ));
        }
        let (_, _, colour, depth) = self.targets.as_ref().expect("just made");
        (colour.clone(), depth.clone())
    }

    /// Records drawing `scene` into `target` (a `width` x `height` texture of this
    /// renderer's format) with `camera` and `view`.
    #[allow(clippy::too_many_arguments)]
    pub fn draw(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        (width, height): (u32, u32),
        scene: &Scene,
        camera: &Camera,
        view: &ViewOptions,
    ) {
        let aspect = width as f32 / height.max(1) as f32;
        let light = glam::Vec3::new(-0.45, 0.8, 0.4).normalize();
        let (mode, class) = match view.mode {
            Mode::All => (0, 0),
            Mode::Envelope => (1, 0),
            Mode::Single(k) => (2, k.min(scene.channels - 1) as u32),
        };
        let toggles = u32::from(view.decision)
            | u32::from(view.crossings) << 1
            | u32::from(view.junctions) << 2
            | u32::from(view.fast) << 3;
        let uniforms = Uniforms {
            view_proj: camera.view_proj(aspect).to_cols_array_2d(),
            eye: camera.position.extend(1.0).to_array(),
            light: light.extend(0.0).to_array(),
            grid: [
                scene.width as u32,
                scene.height as u32,
                scene.channels as u32,
                view.mesh_step.max(1),
            ],
            shape: [
                view.height_scale,
                scene.z_range[0],
                1.0 / (scene.z_range[1] - scene.z_range[0]),
                view.alpha,
            ],
            view: [mode, class, view.visible, toggles],
        };
        queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&uniforms));
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("landscape"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.uniforms.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: scene.field.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: scene.colours.as_entire_binding(),
                },
            ],
        });
        let (msaa, depth) = self.targets(device, width, height);
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("landscape"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &msaa,
                depth_slice: None,
                resolve_target: Some(target),
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color {
                        r: 0.055,
                        g: 0.06,
                        b: 0.075,
                        a: 1.0,
                    }),
                    store: wgpu::StoreOp::Discard,
                },
            })],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: &depth,
                depth_ops: Some(wgpu::Operations {
                    load: wgpu::LoadOp::Clear(1.0),
                    store: wgpu::StoreOp::Discard,
                }),
                stencil_ops: None,
            }),
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_bind_group(0, &group, &[]);
        if view.floor {
            pass.set_pipeline(&self.floor);
            pass.draw(0..6, 0..1);
            pass.set_pipeline(&self.axes);
            pass.draw(0..6, 0..1);
        }
        let step = view.mesh_step.max(1) as usize;
        let quads = (scene.width - 1).div_ceil(step) * (scene.height - 1).div_ceil(step);
        let vertices = 0..(quads * 6) as u32;
        match view.mode {
            Mode::All => {
                pass.set_pipeline(&self.blended);
                pass.draw(vertices, 0..scene.channels as u32);
            }
            Mode::Envelope | Mode::Single(_) => {
                pass.set_pipeline(&self.opaque);
                pass.draw(vertices, 0..1);
            }
        }
    }
}

/// Draws one frame offscreen and returns it as tightly packed RGBA8 (sRGB) rows, top row
/// first.
pub fn render_rgba(
    ctx: &GpuContext,
    renderer: &mut LandscapeRenderer,
    scene: &Scene,
    (width, height): (u32, u32),
    camera: &Camera,
    view: &ViewOptions,
) -> Result<Vec<u8>, RenderError> {
    let max = ctx.limits.max_texture_dimension_2d;
    if width == 0 || height == 0 || width > max || height > max {
        return Err(RenderError::Input(format!(
            "image size {width}x{height}: both sides must be between 1 and {max} on this adapter"
        )));
    }
    let device = &ctx.device;
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("offscreen"),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: renderer.format(),
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view_tex = texture.create_view(&Default::default());
    let padded = (width * 4).div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
        * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("offscreen readback"),
        size: u64::from(padded) * u64::from(height),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    renderer.draw(
        device,
        &ctx.queue,
        &mut encoder,
        &view_tex,
        (width, height),
        scene,
        camera,
        view,
    );
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &readback,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded),
                rows_per_image: Some(height),
            },
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
    ctx.queue.submit([encoder.finish()]);
    let slice = readback.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    ctx.wait()?;
    rx.recv()
        .map_err(|_| RenderError::Gpu("readback dropped".into()))?
        .map_err(|e| RenderError::Gpu(e.to_string()))?;
    let mut pixels = Vec::with_capacity((width * height * 4) as usize);
    {
        let data = slice
            .get_mapped_range()
            .map_err(|e| RenderError::Gpu(e.to_string()))?;
        for row in data.chunks(padded as usize) {
            pixels.extend_from_slice(&row[..(width * 4) as usize]);
        }
    }
    readback.unmap();
    Ok(pixels)
}
