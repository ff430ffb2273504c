//! Pipelines: bind group layouts, the network kernel's specialised pipelines (built on
//! first use, cached) and the boundary passes'.

use super::{EvalVariant, FUSED_WORKGROUP_SIZE, GridEvaluator, WORKGROUP_SIZE};
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
    /// The network pipeline for `variant`, built on first use (kernels that are not
    /// packed have one pipeline for everything).
    pub(super) fn eval_pipeline(
        &self,
        variant: EvalVariant,
    ) -> Result<wgpu::ComputePipeline, GpuError> {
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

    /// A compute pipeline of `module`'s `entry_point` with override `constants`.
    pub(super) fn specialised_pipeline(
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
    pub(super) fn boundary_packed_pipeline(
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
