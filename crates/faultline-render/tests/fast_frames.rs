//! The "moving" frames (coarse mesh, single-sampled, reduced resolution, scaled up by the
//! blit pass) against the full-quality frame of the same view.
//!
//! With FAULTLINE_REQUIRE_GPU=1 (CI) a missing adapter fails this test; without it the
//! test prints a note and passes.

use faultline_gpu::context_for_test;
use faultline_model::random::random_mlp;
use faultline_model::{Activation, Domain};
use faultline_render::{Camera, LandscapeRenderer, Mode, Scene, ViewOptions, render_rgba};

/// Mean absolute difference per channel (0-255) of two RGBA images.
fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    sum as f64 / a.len() as f64
}

#[test]
fn moving_frames_look_like_the_full_frame() {
    let Some(ctx) = context_for_test() else {
        return;
    };
    let mlp = random_mlp(&[2, 3, 3], Activation::Sigmoid, Activation::Sigmoid, 7, 3.0);
    let side = 256;
    let scene = Scene::new(
        &ctx,
        &mlp,
        Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap(),
        side,
    )
    .unwrap();
    let mut renderer = LandscapeRenderer::new(&ctx.device, wgpu::TextureFormat::Rgba8UnormSrgb);
    let camera = Camera::overview();
    let size = (320, 180);
    for mode in [Mode::All, Mode::Envelope] {
        let full = ViewOptions {
            mode,
            ..ViewOptions::default()
        };
        let still = render_rgba(&ctx, &mut renderer, &scene, size, &camera, &full).unwrap();
        for software in [true, false] {
            let moving = full.moving(side, software);
            assert!(moving.fast && (moving.mesh_step > 1) == software);
            let frame = render_rgba(&ctx, &mut renderer, &scene, size, &camera, &moving).unwrap();
            assert_eq!(frame.len(), still.len());
            // The same landscape, minus lines and fine mesh detail: close on average...
            let mean = mean_difference(&frame, &still);
            eprintln!("{mode:?} software {software}: mean difference {mean:.2}");
            assert!(
                mean < 4.0,
                "{mode:?} software {software}: mean difference {mean:.2}"
            );
            // ...and not the background alone.
            let background = frame.chunks(4).filter(|p| p[..3] == frame[..3]).count();
            assert!(
                background < frame.len() / 4 * 9 / 10,
                "{mode:?}: {background} background pixels"
            );
        }
    }
    // A full frame after fast ones still draws the full view.
    let again = render_rgba(
        &ctx,
        &mut renderer,
        &scene,
        size,
        &camera,
        &ViewOptions::default(),
    )
    .unwrap();
    let first = render_rgba(
        &ctx,
        &mut LandscapeRenderer::new(&ctx.device, wgpu::TextureFormat::Rgba8UnormSrgb),
        &scene,
        size,
        &camera,
        &ViewOptions::default(),
    )
    .unwrap();
    assert_eq!(again, first);
}
