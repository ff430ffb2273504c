//! The landscape renderer: surfaces, the floor map and axes, into any texture.
//!
//! Long-lived state (pipelines, uniform buffer, MSAA and depth targets) lives in
//! [`LandscapeRenderer`]; per-frame data is a camera and [`ViewOptions`]. The field is read
//! by the shaders straight from the GPU buffer the grid kernel filled ([`Scene`]).

use bytemuck::{Pod, Zeroable};

pub use crate::view::{
    HARDWARE_MOVING_QUADS, Mode, SOFTWARE_MOVING_QUADS, ViewOptions, contour_step,
};

use crate::overlay::Overlay;
use crate::pipelines::{FastPath, Pipelines, Quality};
use crate::{Camera, Scene};

/// The hand-written landscape shader.
pub const LANDSCAPE_WGSL: &str = include_str!("../../../shaders/landscape.wgsl");
/// The shader that scales a reduced-resolution frame up to the target.
pub const BLIT_WGSL: &str = include_str!("../../../shaders/blit.wgsl");
/// Multisampling of the colour target at full quality (fast frames are not multisampled).
pub const SAMPLE_COUNT: u32 = 4;
/// The most classes the renderer draws (the landscape shader's array size, kept small:
/// per-fragment arrays are slow on software rasterisers).
pub const MAX_CLASSES: usize = 16;
pub(crate) const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
/// Length of the two input axes in world units (the floor is 2 wide); keep in sync with
/// `vs_axes` in shaders/landscape.wgsl.
pub const AXIS_LENGTH: f32 = 2.1;
/// How far the floor sits below the lowest output, as a fraction of the height scale;
/// keep in sync with shaders/landscape.wgsl.
pub const FLOOR_DROP: f32 = 0.04;

/// Keep in sync with `Uniforms` in shaders/landscape.wgsl (a test compares them).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct Uniforms {
    view_proj: [[f32; 4]; 4],
    eye: [f32; 4],
    light: [f32; 4],
    grid: [u32; 4],
    shape: [f32; 4],
    view: [u32; 4],
    binary: [f32; 4],
}

/// Pipelines and targets for drawing landscapes into textures of one format.
pub struct LandscapeRenderer {
    format: wgpu::TextureFormat,
    module: wgpu::ShaderModule,
    layout: wgpu::BindGroupLayout,
    pipeline_layout: wgpu::PipelineLayout,
    uniforms: wgpu::Buffer,
    /// Multisampled pipelines for full-quality frames.
    full: Pipelines,
    /// Single-sample pipelines, the reduced-resolution target and the blit, made on the
    /// first fast frame.
    fast: Option<FastPath>,
    targets: Option<(u32, u32, wgpu::TextureView, wgpu::TextureView)>,
    /// Labels for offscreen frames ([`render_rgba`]), made on first use.
    pub(crate) overlay: Option<Overlay>,
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
        LandscapeRenderer {
            format,
            uniforms: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("landscape uniforms"),
                size: std::mem::size_of::<Uniforms>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            full: Pipelines::new(
                device,
                &module,
                &pipeline_layout,
                format,
                SAMPLE_COUNT,
                Quality::Full,
            ),
            fast: None,
            module,
            layout,
            pipeline_layout,
            targets: None,
            overlay: None,
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
                let usage = wgpu::TextureUsages::RENDER_ATTACHMENT;
                target_view(device, label, (width, height), SAMPLE_COUNT, format, usage)
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
            Mode::Single(k) => (2, k.min(scene.surfaces - 1) as u32),
        };
        let toggles = u32::from(view.decision)
            | u32::from(view.crossings) << 1
            | u32::from(view.junctions) << 2;
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
            binary: {
                let (step, base) = contour_step(scene.z_range, view.contours);
                [scene.threshold, step, base, 0.0]
            },
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
        let clear = view.theme.background();
        if !view.fast {
            let (msaa, depth) = self.targets(device, width, height);
            let pass = scene_pass(encoder, &msaa, Some(target), &depth, clear);
            record(pass, &self.full, &group, scene, view);
            return;
        }
        // Fast frames: single-sampled, at `render_scale` of the size, then scaled up.
        let scale = view.render_scale.clamp(0.05, 1.0);
        let small = (
            ((width as f32 * scale).round() as u32).max(1),
            ((height as f32 * scale).round() as u32).max(1),
        );
        let (format, module, layout) = (self.format, &self.module, &self.pipeline_layout);
        let fast = self
            .fast
            .get_or_insert_with(|| FastPath::new(device, module, layout, format));
        let (colour, depth, blit_group) = fast.target(device, format, small.0, small.1);
        let pass = scene_pass(encoder, &colour, None, &depth, clear);
        record(pass, &fast.pipelines, &group, scene, view);
        let mut blit = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("blit"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(clear),
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        blit.set_pipeline(&fast.blit);
        blit.set_bind_group(0, &blit_group, &[]);
        blit.draw(0..3, 0..1);
    }
}

/// A view of a new 2-D render target.
pub(crate) fn target_view(
    device: &wgpu::Device,
    label: &str,
    (width, height): (u32, u32),
    sample_count: u32,
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::TextureView {
    device
        .create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage,
            view_formats: &[],
        })
        .create_view(&Default::default())
}

/// Begins the landscape's render pass into `colour` (resolved into `resolve` when
/// multisampled) with a cleared `depth`.
fn scene_pass<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    colour: &wgpu::TextureView,
    resolve: Option<&wgpu::TextureView>,
    depth: &wgpu::TextureView,
    clear: wgpu::Color,
) -> wgpu::RenderPass<'e> {
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some("landscape"),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view: colour,
            depth_slice: None,
            resolve_target: resolve,
            ops: wgpu::Operations {
                load: wgpu::LoadOp::Clear(clear),
                // A multisampled target is only needed until it is resolved.
                store: if resolve.is_some() {
                    wgpu::StoreOp::Discard
                } else {
                    wgpu::StoreOp::Store
                },
            },
        })],
        depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
            view: depth,
            depth_ops: Some(wgpu::Operations {
                load: wgpu::LoadOp::Clear(1.0),
                store: wgpu::StoreOp::Discard,
            }),
            stencil_ops: None,
        }),
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    })
}

/// Records the floor, axes and surfaces of `scene` into `pass`.
fn record(
    mut pass: wgpu::RenderPass<'_>,
    pipelines: &Pipelines,
    group: &wgpu::BindGroup,
    scene: &Scene,
    view: &ViewOptions,
) {
    pass.set_bind_group(0, group, &[]);
    if view.floor {
        pass.set_pipeline(&pipelines.floor);
        pass.draw(0..6, 0..1);
        pass.set_pipeline(&pipelines.axes);
        pass.draw(0..6, 0..1);
    }
    // One triangle strip per mesh row of each surface (see vs_surface).
    let step = view.mesh_step.max(1) as usize;
    let rows = (scene.height - 1).div_ceil(step) as u32;
    let vertices = 0..2 * ((scene.width - 1).div_ceil(step) as u32 + 1);
    match view.mode {
        Mode::All => {
            pass.set_pipeline(&pipelines.blended);
            pass.draw(vertices, 0..scene.surfaces as u32 * rows);
        }
        Mode::Envelope | Mode::Single(_) => {
            pass.set_pipeline(&pipelines.opaque);
            pass.draw(vertices, 0..rows);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::mem::{offset_of, size_of};

    use super::{LANDSCAPE_WGSL, Uniforms};

    /// `Uniforms` matches shaders/landscape.wgsl field by field: names and offsets from
    /// naga's reflection against `offset_of!`, and the size.
    #[test]
    fn uniforms_match_the_wgsl_struct() {
        let module = naga::front::wgsl::parse_str(LANDSCAPE_WGSL).expect("valid WGSL");
        let (_, ty) = module
            .types
            .iter()
            .find(|(_, t)| t.name.as_deref() == Some("Uniforms"))
            .expect("a Uniforms struct");
        let naga::TypeInner::Struct { members, span } = &ty.inner else {
            panic!("Uniforms is not a struct");
        };
        let wgsl: Vec<(String, usize)> = members
            .iter()
            .map(|m| (m.name.clone().unwrap_or_default(), m.offset as usize))
            .collect();
        let rust = [
            ("view_proj", offset_of!(Uniforms, view_proj)),
            ("eye", offset_of!(Uniforms, eye)),
            ("light", offset_of!(Uniforms, light)),
            ("grid", offset_of!(Uniforms, grid)),
            ("shape", offset_of!(Uniforms, shape)),
            ("view", offset_of!(Uniforms, view)),
            ("binary", offset_of!(Uniforms, binary)),
        ]
        .map(|(n, o)| (n.to_string(), o));
        assert_eq!(wgsl, rust);
        assert_eq!(*span as usize, size_of::<Uniforms>());
    }
}
