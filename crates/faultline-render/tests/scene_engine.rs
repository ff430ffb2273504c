//! The scene's field engines: the native CPU one (software path) and the GPU-resident
//! one (hardware path) give the same picture, and re-evaluating at another resolution
//! with a kept engine builds no pipeline (what the viewer does on `[` and `]`).
//!
//! With FAULTLINE_REQUIRE_GPU=1 (CI) a missing adapter fails this test.

use faultline_gpu::{GpuContext, GpuPath, gpu_required};
use faultline_model::random::random_mlp;
use faultline_model::{Activation, Domain};
use faultline_render::{Camera, LandscapeRenderer, Scene, SceneEngine, ViewOptions, render_rgba};

#[test]
fn both_engines_draw_the_same_landscape_and_keep_their_pipelines() {
    let contexts = [GpuPath::Software, GpuPath::Hardware].map(|p| GpuContext::with_path(Some(p)));
    let [Ok(software), Ok(hardware)] = contexts else {
        assert!(!gpu_required(), "FAULTLINE_REQUIRE_GPU=1 but no adapter");
        eprintln!("skipping: no adapter");
        return;
    };
    let mlp = random_mlp(&[2, 8, 4], Activation::Tanh, Activation::Sigmoid, 3, 2.0);
    let domain = Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap();
    let mut frames = Vec::new();
    for ctx in [&software, &hardware] {
        let engine = SceneEngine::for_context(ctx, &mlp).unwrap();
        let resident = matches!(engine, SceneEngine::Resident(_));
        assert_eq!(
            resident,
            ctx.path == GpuPath::Hardware,
            "{}",
            engine.describe()
        );
        let built = |e: &SceneEngine| match e {
            SceneEngine::Resident(ev) => ev.pipelines_built(),
            SceneEngine::Host(_) => 0,
        };
        let scene = Scene::evaluate(ctx, &engine, &mlp, domain, 96).unwrap();
        let before = built(&engine);
        // Other resolutions with the same engine: no kernel generated, no pipeline built.
        for side in [48, 200, 96] {
            Scene::evaluate(ctx, &engine, &mlp, domain, side).unwrap();
        }
        assert_eq!(
            built(&engine),
            before,
            "{}: pipelines rebuilt",
            engine.describe()
        );
        let mut renderer = LandscapeRenderer::new(&ctx.device, wgpu::TextureFormat::Rgba8UnormSrgb);
        let view = ViewOptions {
            labels: false,
            ..ViewOptions::default()
        };
        frames.push(
            render_rgba(
                ctx,
                &mut renderer,
                &scene,
                (200, 120),
                &Camera::overview(),
                &view,
            )
            .unwrap(),
        );
    }
    // The uploaded CPU field and the resident GPU field agree to f32 rounding: the images
    // may differ by a level where a boundary line's antialiasing lands, no more.
    let off = frames[0]
        .iter()
        .zip(&frames[1])
        .filter(|(a, b)| a.abs_diff(**b) > 8)
        .count();
    assert!(
        off * 1000 <= frames[0].len(),
        "{off} of {} channel values differ by more than 8 levels",
        frames[0].len()
    );
    assert!(
        frames[0].iter().any(|&v| v != frames[0][0]),
        "a blank image"
    );
}
