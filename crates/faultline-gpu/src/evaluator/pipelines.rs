//! Pipelines: bind group layouts, the network kernel's specialised pipelines (built on
//! first use, cached) and the boundary passes'.

use faultline_shader::{Module, Variant, boundary_packed_source, boundary_source};

use super::{FUSED_WORKGROUP_SIZE, GridEvaluator, WORKGROUP_SIZE};
use crate::GpuError;

pub(super) fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
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

pub(super) fn uniform_entry() -> wgpu::BindGroupLayoutEntry {
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

impl GridEvaluator {
    /// The pipeline for `variant`, built on first use (with its module); `None` where the
    /// kernel has no such variant (the fused entry point and the packed boundary pass of
    /// lane-store kernels). Equal variants share one pipeline ([`GridKernel::normalise`]).
    ///
    /// [`GridKernel::normalise`]: faultline_shader::GridKernel::normalise
    pub(super) fn pipeline(
        &self,
        variant: Variant,
    ) -> Result<Option<wgpu::ComputePipeline>, GpuError> {
        let Some(variant) = self.kernel.normalise(variant) else {
            return Ok(None);
        };
        let mut built = self.pipelines.lock().expect("pipeline cache");
        if let Some((_, p)) = built.iter().find(|(k, _)| *k == variant) {
            return Ok(Some(p.clone()));
        }
        let workgroup = match variant {
            Variant::FusedFlags { .. } => FUSED_WORKGROUP_SIZE,
            _ => WORKGROUP_SIZE,
        };
        let spec = self.kernel.specialise(variant, workgroup);
        let (module, layout) = self.module(spec.module)?;
        let device = &self.ctx.device;
        let label = format!("{variant:?}");
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&label),
            layout: Some(&layout),
            module: &module,
            entry_point: Some(spec.entry_point),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &spec.constants,
                ..Default::default()
            },
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Wgpu(format!(
                "building the {label} pipeline: {e}"
            )));
        }
        built.push((variant, pipeline.clone()));
        Ok(Some(pipeline))
    }

    /// The shader module of the family and its pipeline layout, built on first use.
    fn module(
        &self,
        which: Module,
    ) -> Result<(wgpu::ShaderModule, wgpu::PipelineLayout), GpuError> {
        let mut built = self.modules.lock().expect("module cache");
        if let Some((_, m, l)) = built.iter().find(|(k, _, _)| *k == which) {
            return Ok((m.clone(), l.clone()));
        }
        let (source, layout, label) = match which {
            Module::Network => (self.kernel.source.clone(), &self.eval_layout, "grid eval"),
            Module::Boundary => (boundary_source(), &self.boundary_layout, "boundary"),
            Module::BoundaryPacked => (
                boundary_packed_source(),
                &self.boundary_layout,
                "boundary packed",
            ),
        };
        let device = &self.ctx.device;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(label),
            bind_group_layouts: &[Some(layout)],
            immediate_size: 0,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Wgpu(format!("building the {label} module: {e}")));
        }
        built.push((which, module.clone(), layout.clone()));
        Ok((module, layout))
    }
}

/// A bind group of five whole buffers at bindings 0..5 (both kernels' layout).
pub(super) fn bind_buffers(
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
