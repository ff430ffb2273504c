//! Drawing one frame offscreen and reading it back as RGBA rows.

use faultline_gpu::GpuContext;

use crate::overlay::{Overlay, annotate};
use crate::{Camera, LandscapeRenderer, RenderError, Scene, ViewOptions};

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
    if view.labels {
        let format = renderer.format();
        let overlay = renderer
            .overlay
            .get_or_insert_with(|| Overlay::new(device, format));
        overlay.draw(
            device,
            &ctx.queue,
            &mut encoder,
            &view_tex,
            (width, height),
            Overlay::offscreen_input((width, height)),
            |context| {
                annotate(context, scene, camera, view);
            },
        );
    }
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
