//! `faultline render`: the lit landscape, offscreen, to a PNG.

use anyhow::{Context, Result, bail};
use image::ImageEncoder;

use super::landscape::parse;
use crate::cli::RenderArgs;
use crate::output::{png_path, prepare_one};
use faultline_gpu::GpuContext;
use faultline_render::{LandscapeRenderer, Scene, SceneEngine, render_rgba};

/// The colour format of offscreen renders (sRGB, as PNGs are).
pub const OFFSCREEN_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;

pub fn run(args: RenderArgs) -> Result<()> {
    if args.width == 0 || args.height == 0 {
        bail!(
            "--width and --height must be at least 1 (got {}x{})",
            args.width,
            args.height
        );
    }
    if let Some(path) = &args.animate {
        return super::animate::render(&args, path);
    }
    png_path("-o", args.output_path()?)?;
    let model = super::load_model(&args.model)?;
    let output = prepare_one("-o", args.output_path()?, &[("the model", &args.model)])?;
    let ctx = GpuContext::new().context("render needs a GPU adapter (lavapipe works)")?;
    let max = ctx.limits.max_texture_dimension_2d;
    if args.width > max || args.height > max {
        bail!(
            "--width/--height {}x{}: this adapter draws at most {max} pixels per side",
            args.width,
            args.height
        );
    }
    let landscape = parse(model, &args.model, &args.landscape)?;
    let model = &landscape.model;
    let engine = SceneEngine::for_context(&ctx, model)?;
    let mut scene = Scene::evaluate(
        &ctx,
        &engine,
        model,
        landscape.domain,
        args.landscape.resolution,
    )?;
    if let Some(data) = &landscape.data {
        let plane = landscape.plane.plane().map(|(p, _)| p);
        scene.dots = data.on(plane, &landscape.domain, model);
        say!(
            "{} samples drawn on the surfaces{}",
            scene.dots.len(),
            if plane.is_some() {
                format!(" (within {:.3} of the plane)", data.near)
            } else {
                String::new()
            }
        );
    }
    let mut renderer = LandscapeRenderer::new(&ctx.device, OFFSCREEN_FORMAT);
    let started = std::time::Instant::now();
    let pixels = render_rgba(
        &ctx,
        &mut renderer,
        &scene,
        (args.width, args.height),
        &landscape.camera.resolve(
            &scene,
            args.width as f32 / args.height as f32,
            landscape.view.height_scale,
        ),
        &landscape.view,
    )?;
    let seconds = started.elapsed().as_secs_f64();
    output.write(|w| {
        image::codecs::png::PngEncoder::new(w)
            .write_image(
                &pixels,
                args.width,
                args.height,
                image::ExtendedColorType::Rgba8,
            )
            .map_err(std::io::Error::other)
    })?;
    say!(
        "wrote {} ({}x{}, {} of {}^2 evaluated on {}, drawn on {} in {:.3} s)",
        args.output_path()?.display(),
        args.width,
        args.height,
        if model.outputs() == 1 {
            "1 surface and its threshold plane".to_string()
        } else {
            format!("{} surfaces", model.outputs())
        },
        args.landscape.resolution,
        engine.describe(),
        ctx.describe(),
        seconds
    );
    landscape.plane.finish(&landscape.domain)?;
    Ok(())
}
