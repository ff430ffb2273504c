//! Frame time of the landscape renderer: three 512^2 surfaces at 1280x720 (or WIDTH x
//! WIDTH*9/16), offscreen with readback (an upper bound on a window's frame), at full
//! quality and with the viewer's "moving" settings (`ViewOptions::moving`: coarse mesh, no
//! lines, no multisampling, half resolution on a software rasteriser), from the fixed
//! `Camera::overview()` (comparable with earlier figures) and from the framed default
//! camera `render` and the viewer start with.
//!
//!     cargo run --release --example frame_time [-- FRAMES [WIDTH]]

use std::time::Instant;

use faultline_gpu::GpuContext;
use faultline_model::random::random_mlp;
use faultline_model::{Activation, Domain};
use faultline_render::framing::CameraChoice;
use faultline_render::{Camera, LandscapeRenderer, Scene, ViewOptions, render_rgba};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let frames: usize = std::env::args().nth(1).map_or(Ok(5), |s| s.parse())?;
    let width: u32 = std::env::args().nth(2).map_or(Ok(1280), |s| s.parse())?;
    let height = width * 9 / 16;
    let ctx = GpuContext::new()?;
    let mlp = random_mlp(&[2, 3, 3], Activation::Sigmoid, Activation::Sigmoid, 7, 3.0);
    let side = 512;
    let scene = Scene::new(&ctx, &mlp, Domain::new([-1.0, 1.0], [-1.0, 1.0])?, side)?;
    let mut renderer = LandscapeRenderer::new(&ctx.device, wgpu::TextureFormat::Rgba8UnormSrgb);
    let fixed = Camera::overview();
    println!("adapter: {}", ctx.describe());
    let full = ViewOptions::default();
    let moving = full.moving(side, ctx.is_software());
    let framed =
        CameraChoice::Overview.resolve(&scene, width as f32 / height as f32, full.height_scale);
    for (name, view, camera) in [
        ("full quality", full, fixed),
        ("moving", moving, fixed),
        ("full quality, framed camera", full, framed),
        ("moving, framed camera", moving, framed),
    ] {
        render_rgba(&ctx, &mut renderer, &scene, (width, height), &camera, &view)?; // warm-up
        let mut times = Vec::new();
        for _ in 0..frames {
            let started = Instant::now();
            render_rgba(&ctx, &mut renderer, &scene, (width, height), &camera, &view)?;
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        let ms = times[times.len() / 2];
        println!(
            "{name}: median {ms:.1} ms per frame ({:.1} fps), {width}x{height}, 3 surfaces of \
             {side}^2, mesh step {}, render scale {}",
            1e3 / ms,
            view.mesh_step,
            if view.fast { view.render_scale } else { 1.0 },
        );
    }
    Ok(())
}
