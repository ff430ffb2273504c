//! `faultline map`: the 2-D boundary map as a PNG.

use std::time::Instant;

use anyhow::{Context, Result};
use image::ImageEncoder;
use indicatif::{ProgressBar, ProgressStyle};

use super::backend::{Engine, choose, cpu_evaluator};
use super::grid_args::{check_memory, grid};
use crate::cli::MapArgs;
use crate::output::check_writable;
use faultline_gpu::{EvalRequest, GridEvaluator};
use faultline_model::{GridSpec, Mlp};
use faultline_render::{MapStyle, compose_map};
use faultline_shader::KernelOptions;

/// Rows per band of the CPU path (bounded memory at any size).
const CPU_BAND_ROWS: usize = 256;

// The CPU and GPU boundary passes write the same flags word.
const _: () = assert!(
    faultline_cpu::boundary::DECISION == faultline_gpu::DECISION
        && faultline_cpu::boundary::JUNCTION == faultline_gpu::JUNCTION
        && faultline_cpu::boundary::CROSSING == faultline_gpu::CROSSING
);

pub fn run(args: MapArgs) -> Result<()> {
    check_writable("-o", &args.output)?;
    let model = faultline_model::io::load(&args.model)?;
    let grid = grid(&model, &args.model, &args.size, args.domain.as_deref())?;
    // Flags (u32) and the RGB image on the host; PNG encoding streams.
    check_memory(&grid, 4.0 + 3.0)?;
    let engine = choose(args.backend)?;

    let bar = if args.quiet || grid.points() < 4 << 20 {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(grid.height as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("map {bar:30} {pos}/{len} rows  {elapsed}")
            .expect("valid template"),
    );
    let started = Instant::now();
    let flags = match &engine {
        Engine::Gpu(ctx) => {
            let evaluator = GridEvaluator::new(ctx, &model, KernelOptions::default())?;
            let request = EvalRequest {
                flags: true,
                ..EvalRequest::default()
            };
            let (out, _) = evaluator.evaluate_with_progress(&grid, &request, &mut |rows| {
                bar.set_position(rows as u64)
            })?;
            out.flags
        }
        Engine::Cpu => cpu_flags(&model, &grid, &mut |rows| bar.set_position(rows as u64))?,
    };
    bar.finish_and_clear();
    let evaluated = started.elapsed().as_secs_f64();

    let style = MapStyle {
        crossings: args.crossings,
    };
    let image = compose_map(&flags, grid.width, grid.height, style);
    drop(flags);
    faultline_model::io::write_atomically(&args.output, |w| {
        image::codecs::png::PngEncoder::new(w)
            .write_image(
                &image,
                grid.width as u32,
                grid.height as u32,
                image::ExtendedColorType::Rgb8,
            )
            .map_err(std::io::Error::other)
    })
    .with_context(|| format!("writing {}", args.output.display()))?;

    let names = model.class_names();
    let legend: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let [r, g, b] = faultline_render::class_colour(k);
            format!("{n} #{r:02X}{g:02X}{b:02X}")
        })
        .collect();
    println!(
        "wrote {} ({}x{}, evaluated on {} in {evaluated:.2} s); classes: {}; boundaries dark, junctions white discs{}",
        args.output.display(),
        grid.width,
        grid.height,
        engine.describe(),
        legend.join(", "),
        if args.crossings {
            ", other crossings light"
        } else {
            ""
        }
    );
    if model.outputs() == 1 {
        println!("note: the model has one output, so there are no boundaries to draw");
    }
    Ok(())
}

/// The per-cell flags from the native CPU evaluator, band by band (each band evaluates one extra
/// row: the upper neighbours of its last row), all cores.
fn cpu_flags(model: &Mlp, grid: &GridSpec, progress: &mut dyn FnMut(usize)) -> Result<Vec<u32>> {
    Ok(cpu_evaluator(model)?.flags(grid, CPU_BAND_ROWS, progress)?)
}
