//! Frame time of the landscape renderer: three 512^2 surfaces at 1280x720, offscreen with
//! readback (an upper bound on a window's frame), full quality and the viewer's "moving"
//! settings (coarse mesh, no lines).
//!
//!     cargo run --release --example frame_time [-- FRAMES]

use std::time::Instant;

use faultline_gpu::GpuContext;
use faultline_model::random::random_mlp;
use faultline_model::{Activation, Domain};
use faultline_render::{Camera, LandscapeRenderer, Scene, ViewOptions, render_rgba};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let frames: usize = std::env::args().nth(1).map_or(Ok(5), |s| s.parse())?;
    let ctx = GpuContext::new()?;
    let mlp = random_mlp(&[2, 3, 3], Activation::Sigmoid, Activation::Sigmoid, 7, 3.0);
    let scene = Scene::new(&ctx, &mlp, Domain::new([-1.0, 1.0], [-1.0, 1.0])?, 512)?;
    let mut renderer = LandscapeRenderer::new(&ctx.device, wgpu::TextureFormat::Rgba8UnormSrgb);
    let camera = Camera::overview();
    println!("adapter: {}", ctx.describe());
    for (name, view) in [
        ("full quality", ViewOptions::default()),
        (
            "moving (mesh step 5, no lines)",
            ViewOptions {
                mesh_step: 5,
                fast: true,
                ..ViewOptions::default()
            },
        ),
    ] {
        render_rgba(&ctx, &mut renderer, &scene, (1280, 720), &camera, &view)?; // warm-up
        let started = Instant::now();
        for _ in 0..frames {
            render_rgba(&ctx, &mut renderer, &scene, (1280, 720), &camera, &view)?;
        }
        let ms = started.elapsed().as_secs_f64() * 1e3 / frames as f64;
        println!(
            "{name}: {ms:.1} ms per frame ({:.1} fps), 1280x720, 3 surfaces of 512^2",
            1e3 / ms
        );
    }
    Ok(())
}
