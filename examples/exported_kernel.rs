//! Running an exported Faultline kernel in your own wgpu program, with nothing of
//! Faultline's GPU crate: the WGSL `faultline export MODEL --wgsl OUT.wgsl` writes (made
//! here in-process by the same function), the bindings and dispatch its header documents,
//! and a check of the results against the model's f64 forward pass.
//!
//! ```sh
//! cargo run --example exported_kernel -- [MODEL.safetensors]
//! ```

use anyhow::{Context, Result, bail};
use bytemuck::{Pod, Zeroable};
use faultline_shader::{KernelOptions, Stores, export_source, grid_kernel};
use wgpu::util::DeviceExt;

/// The kernel's uniform block, as the exported header documents it.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GridParams {
    origin: [f32; 2],
    step: [f32; 2],
    col_offset: u32,
    row_offset: u32,
    tile_cols: u32,
    tile_rows: u32,
    grid_cols: u32,
    grid_rows: u32,
}

const WIDTH: u32 = 64;
const HEIGHT: u32 = 48;
const WORKGROUP_SIZE: u32 = 64;

fn main() -> Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/fixtures/pytorch_2543.safetensors".into());
    let mlp = faultline_model::io::load(path.as_ref()).with_context(|| path.clone())?;
    // Lane stores: portable WGSL, what `faultline export` writes.
    let options = KernelOptions {
        stores: Stores::Lanes,
        ..KernelOptions::default()
    };
    let kernel = grid_kernel(&mlp, options)?;
    let wgsl = export_source(&mlp, &kernel);
    let channels = kernel.channels as u32;

    // Your own device.
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&Default::default()))
        .context("no GPU adapter (lavapipe works: apt install mesa-vulkan-drivers)")?;
    let (device, queue) = pollster::block_on(adapter.request_device(&Default::default()))?;

    // Bindings 0-4 as the header lists them.
    let domain = mlp.metadata.domain.unwrap_or(faultline_model::Domain {
        x: [-1.0, 1.0],
        y: [-1.0, 1.0],
    });
    let [dx, dy] = [
        (domain.x[1] - domain.x[0]) / f64::from(WIDTH - 1),
        (domain.y[1] - domain.y[0]) / f64::from(HEIGHT - 1),
    ];
    let params = GridParams {
        origin: [domain.x[0] as f32, domain.y[0] as f32],
        step: [dx as f32, dy as f32],
        col_offset: 0,
        row_offset: 0,
        tile_cols: WIDTH,
        tile_rows: HEIGHT,
        grid_cols: WIDTH,
        grid_rows: HEIGHT,
    };
    let cells = u64::from(WIDTH * HEIGHT);
    let storage = |label, bytes: u64| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        })
    };
    let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("params"),
        contents: bytemuck::bytes_of(&params),
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let field = storage("field", cells * u64::from(channels) * 4);
    let classes = storage("classes", cells * 4);
    let signs = storage("signs", cells * kernel.sign_words as u64 * 4);
    let weights_data = if kernel.weights.is_empty() {
        vec![0.0f32]
    } else {
        kernel.weights.clone()
    };
    let weights = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("weights"),
        contents: bytemuck::cast_slice(&weights_data),
        usage: wgpu::BufferUsages::STORAGE,
    });

    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("exported kernel"),
        source: wgpu::ShaderSource::Wgsl(wgsl.into()),
    });
    // An explicit layout: the unrolled form never reads binding 4, so a layout derived from
    // the shader would leave it out.
    let entry = |binding, ty| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    };
    let rw = wgpu::BufferBindingType::Storage { read_only: false };
    let bind_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("exported kernel"),
        entries: &[
            entry(0, wgpu::BufferBindingType::Uniform),
            entry(1, rw),
            entry(2, rw),
            entry(3, rw),
            entry(4, wgpu::BufferBindingType::Storage { read_only: true }),
        ],
    });
    let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("exported kernel"),
        bind_group_layouts: &[Some(&bind_layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("exported kernel"),
        layout: Some(&layout),
        module: &module,
        entry_point: Some("main"),
        compilation_options: wgpu::PipelineCompilationOptions {
            constants: &[("WORKGROUP_SIZE", f64::from(WORKGROUP_SIZE))],
            ..Default::default()
        },
        cache: None,
    });
    let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &bind_layout,
        entries: &[&uniform, &field, &classes, &signs, &weights]
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect::<Vec<_>>(),
    });

    // Dispatch (ceil(ceil(W / lanes) / WORKGROUP_SIZE), H, 1), then read the field back.
    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: field.size(),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &group, &[]);
        let groups_x = WIDTH.div_ceil(kernel.lanes).div_ceil(WORKGROUP_SIZE);
        pass.dispatch_workgroups(groups_x, HEIGHT, 1);
    }
    encoder.copy_buffer_to_buffer(&field, 0, &readback, 0, field.size());
    queue.submit([encoder.finish()]);
    let slice = readback.slice(..);
    slice.map_async(wgpu::MapMode::Read, |r| r.expect("mapping the readback"));
    device.poll(wgpu::PollType::wait_indefinitely())?;
    let values: Vec<f32> = bytemuck::cast_slice(&slice.get_mapped_range()?).to_vec();

    // The GPU's field against the model's f64 forward pass at the same inputs.
    let mut worst = 0.0f64;
    for r in 0..HEIGHT {
        for c in 0..WIDTH {
            let x = domain.x[0] + dx * f64::from(c);
            let y = domain.y[0] + dy * f64::from(r);
            let want = mlp.forward_f64(&[x, y]);
            let cell = (r * WIDTH + c) as usize;
            for (k, w) in want.iter().enumerate() {
                let got = f64::from(values[cell * channels as usize + k]);
                worst = worst.max((got - w).abs() / w.abs().max(1.0));
            }
        }
    }
    println!(
        "{} kernel on {}: {WIDTH}x{HEIGHT} field, worst relative difference to f64 {worst:.1e}",
        mlp.architecture(),
        adapter.get_info().name
    );
    if worst > 1e-4 {
        bail!("the exported kernel disagrees with the model");
    }
    Ok(())
}
