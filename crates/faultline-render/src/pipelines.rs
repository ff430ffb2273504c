//! The landscape's long-lived pipelines: the full-quality path and the fast path
//! (reduced resolution, no multisampling, scaled up by a blit).

use crate::landscape::{BLIT_WGSL, DEPTH_FORMAT, target_view};

/// The four pipelines of one sample count and quality.
pub(crate) struct Pipelines {
    pub(crate) opaque: wgpu::RenderPipeline,
    pub(crate) blended: wgpu::RenderPipeline,
    pub(crate) floor: wgpu::RenderPipeline,
    pub(crate) axes: wgpu::RenderPipeline,
}

/// Which fragment entry points the pipelines use: the lines (full quality) or lit colour
/// alone (fast frames, while the camera moves).
#[derive(Clone, Copy)]
pub(crate) enum Quality {
    Full,
    Fast,
}

/// What fast frames need besides [`Pipelines`].
pub(crate) struct FastPath {
    pub(crate) pipelines: Pipelines,
    pub(crate) blit: wgpu::RenderPipeline,
    pub(crate) blit_layout: wgpu::BindGroupLayout,
    pub(crate) sampler: wgpu::Sampler,
    /// (width, height, colour, depth, blit bind group) of the reduced-resolution target.
    pub(crate) target: Option<(
        u32,
        u32,
        wgpu::TextureView,
        wgpu::TextureView,
        wgpu::BindGroup,
    )>,
}

impl Pipelines {
    pub(crate) fn new(
        device: &wgpu::Device,
        module: &wgpu::ShaderModule,
        layout: &wgpu::PipelineLayout,
        format: wgpu::TextureFormat,
        samples: u32,
        quality: Quality,
    ) -> Pipelines {
        let (fs_surface, fs_floor) = match quality {
            Quality::Full => ("fs_surface", "fs_floor"),
            Quality::Fast => ("fs_surface_fast", "fs_floor_fast"),
        };
        let pipeline = |label: &str,
                        vs: &str,
                        fs: &str,
                        topology: wgpu::PrimitiveTopology,
                        blend: Option<wgpu::BlendState>,
                        depth_write: bool| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(layout),
                vertex: wgpu::VertexState {
                    module,
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
                    count: samples,
                    ..Default::default()
                },
                fragment: Some(wgpu::FragmentState {
                    module,
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
        use wgpu::PrimitiveTopology::{LineList, TriangleList, TriangleStrip};
        Pipelines {
            opaque: pipeline(
                "surfaces",
                "vs_surface",
                fs_surface,
                TriangleStrip,
                None,
                true,
            ),
            blended: pipeline(
                "see-through surfaces",
                "vs_surface",
                fs_surface,
                TriangleStrip,
                Some(wgpu::BlendState::ALPHA_BLENDING),
                false,
            ),
            floor: pipeline("floor", "vs_floor", fs_floor, TriangleList, None, true),
            axes: pipeline("axes", "vs_axes", "fs_axes", LineList, None, true),
        }
    }
}

impl FastPath {
    pub(crate) fn new(
        device: &wgpu::Device,
        module: &wgpu::ShaderModule,
        layout: &wgpu::PipelineLayout,
        format: wgpu::TextureFormat,
    ) -> FastPath {
        let blit_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("blit"),
            source: wgpu::ShaderSource::Wgsl(BLIT_WGSL.into()),
        });
        let blit_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("blit"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let blit_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("blit"),
            bind_group_layouts: &[Some(&blit_layout)],
            immediate_size: 0,
        });
        let blit = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("blit"),
            layout: Some(&blit_pipeline_layout),
            vertex: wgpu::VertexState {
                module: &blit_module,
                entry_point: Some("vs_blit"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: Default::default(),
            depth_stencil: None,
            multisample: Default::default(),
            fragment: Some(wgpu::FragmentState {
                module: &blit_module,
                entry_point: Some("fs_blit"),
                compilation_options: Default::default(),
                targets: &[Some(format.into())],
            }),
            multiview_mask: None,
            cache: None,
        });
        FastPath {
            pipelines: Pipelines::new(device, module, layout, format, 1, Quality::Fast),
            blit,
            blit_layout,
            sampler: device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some("blit"),
                mag_filter: wgpu::FilterMode::Linear,
                min_filter: wgpu::FilterMode::Linear,
                ..Default::default()
            }),
            target: None,
        }
    }

    /// The reduced-resolution colour and depth targets and the blit's bind group.
    pub(crate) fn target(
        &mut self,
        device: &wgpu::Device,
        format: wgpu::TextureFormat,
        width: u32,
        height: u32,
    ) -> (wgpu::TextureView, wgpu::TextureView, wgpu::BindGroup) {
        if !matches!(&self.target, Some((w, h, ..)) if *w == width && *h == height) {
            let texture = |label, format, usage| {
                target_view(device, label, (width, height), 1, format, usage)
            };
            let attachment = wgpu::TextureUsages::RENDER_ATTACHMENT;
            let colour = texture(
                "fast colour",
                format,
                attachment | wgpu::TextureUsages::TEXTURE_BINDING,
            );
            let depth = texture("fast depth", DEPTH_FORMAT, attachment);
            let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("blit"),
                layout: &self.blit_layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(&colour),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::Sampler(&self.sampler),
                    },
                ],
            });
            self.target = Some((width, height, colour, depth, group));
        }
        let (_, _, colour, depth, group) = self.target.as_ref().expect("just made");
        (colour.clone(), depth.clone(), group.clone())
    }
}
