//! `map -o FIG.svg` and `map --figure -o FIG.png`: the boundary map as a figure, its
//! boundaries as vectors refined on the network itself ([`faultline_analysis::contours`]);
//! the PNG is the SVG drawn by resvg ([`faultline_render::figure_png`]).

use std::time::Instant;

use anyhow::Result;
use image::ImageEncoder;

use super::backend::engine;
use super::data_args::load;
use super::grid_args::check_memory;
use super::plane_args::Sliced;
use crate::cli::MapArgs;
use crate::output::prepare_one;
use faultline_model::arrays::CLASS_MASK;
use faultline_model::{GridRequest, GridSpec, Mlp};
use faultline_render::class_colour;
use faultline_render::dots::pale;
use faultline_render::figure::{Figure, Line, Sample, svg};

/// The most samples a figure's grid may have (its field is held for tracing).
const MAX_POINTS: usize = 4096 * 4096;

/// The widest or tallest figure PNG, in pixels.
const MAX_PNG_SIDE: f64 = 16384.0;

/// A figure PNG's width in pixels, from `--dpi` and `--inches` (default: the page's CSS
/// pixels at 96 to the inch), checked.
fn png_width(args: &MapArgs, page: (f64, f64)) -> Result<u32> {
    if !(args.dpi.is_finite() && args.dpi >= 10.0 && args.dpi <= 2400.0) {
        anyhow::bail!("--dpi {}: give 10 to 2400 pixels per inch", args.dpi);
    }
    let scale = match args.inches {
        Some(w) => w * args.dpi / page.0,
        None => args.dpi / 96.0,
    };
    let side = page.0.max(page.1) * scale;
    if side > MAX_PNG_SIDE {
        anyhow::bail!(
            "--dpi {} / --inches: the figure would be {side:.0} pixels across, more than {MAX_PNG_SIDE}",
            args.dpi
        );
    }
    Ok((page.0 * scale).round() as u32)
}

pub fn run(args: &MapArgs, sliced: &Sliced, model: &Mlp, grid: &GridSpec) -> Result<()> {
    if grid.points() > MAX_POINTS {
        anyhow::bail!(
            "--size {}x{}: a figure's grid is at most 4096^2 samples (its lines are vectors; the size sets how fine they are traced before refinement)",
            grid.width,
            grid.height
        );
    }
    check_memory(
        grid,
        grid.points() as f64 * (4.0 * model.outputs() as f64 + 4.0 + 3.0),
    )?;
    let raster = !args
        .output_path()?
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if let Some(w) = args.inches
        && !(w.is_finite() && w > 0.0)
    {
        anyhow::bail!("--inches {w}: a figure's width must be a positive number of inches");
    }
    let png_width = if raster {
        png_width(
            args,
            faultline_render::figure::page_size((grid.width, grid.height)),
        )?
    } else {
        0
    };
    let output = prepare_one("-o", args.output_path()?, &[("the model", &args.model)])?;
    let engine = engine(args.backend, model)?;
    let started = Instant::now();
    let request = GridRequest {
        field: true,
        flags: true,
        ..GridRequest::flags()
    };
    let mut arrays = engine.evaluate(grid, &request, &mut |_| {})?;
    let flags = arrays.flags.take().unwrap_or_default();
    let field = arrays.take_field().map(|f| f.values).unwrap_or_default();
    let classes: Vec<u32> = flags.iter().map(|f| f & CLASS_MASK).collect();
    let (w, h) = (grid.width, grid.height);
    // Regions only (rows top to bottom, y up): the lines are vectors.
    let mut regions = vec![0u8; w * h * 3];
    for r in 0..h {
        for c in 0..w {
            let at = ((h - 1 - r) * w + c) * 3;
            regions[at..at + 3].copy_from_slice(&class_colour(classes[r * w + c] as usize));
        }
    }
    let data = match &args.data {
        Some(path) => Some(load(path, args.near, &sliced.record, model)?),
        None => None,
    };
    if data.is_some() {
        pale(&mut regions, 0.45);
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&regions, w as u32, h as u32, image::ExtendedColorType::Rgb8)
        .map_err(std::io::Error::other)?;
    let lines: Vec<Line> = faultline_analysis::contours::trace(model, &field, grid, args.crossings)
        .into_iter()
        .map(|p| Line {
            pair: (p.i, p.j),
            decision: p.decision,
            points: p.points,
        })
        .collect();
    let junctions: Vec<(f64, f64)> = faultline_analysis::regions::junctions(&classes, grid)
        .into_iter()
        .map(|j| (j.x, j.y))
        .collect();
    let (samples, data_line) = match &data {
        Some(data) => {
            let placed = data.place(sliced.record.plane().map(|(p, _)| p), &grid.domain);
            let mut samples: Vec<Sample> = placed
                .iter()
                .map(|p| Sample {
                    at: (p.s, p.t),
                    colour: p.colour(),
                    misclassified: p.misclassified(),
                })
                .collect();
            samples.sort_by_key(|s| s.misclassified);
            (samples, Some(data.summary(&placed)))
        }
        None => (Vec::new(), None),
    };
    let names = model.input_names();
    let classes_named = model.class_names();
    let text = svg(&Figure {
        domain: grid.domain,
        size: (w, h),
        regions_png: &png,
        lines: &lines,
        junctions: &junctions,
        samples: &samples,
        classes: &classes_named,
        axes: [&names[0], &names[1]],
        title: args.title.as_deref(),
        width_inches: args.inches,
    });
    let what = if raster {
        let (pixels, pw, ph) = faultline_render::figure_png::rasterize(&text, png_width)
            .map_err(|e| anyhow::anyhow!("drawing the figure: {e}"))?;
        let dpi = args.dpi;
        output.write(|out| write_png_with_dpi(out, &pixels, pw, ph, dpi))?;
        format!(
            "a figure PNG: {pw}x{ph} pixels, {:.2}x{:.2} in at {dpi:.0} dpi",
            f64::from(pw) / dpi,
            f64::from(ph) / dpi
        )
    } else {
        output.write(|out| std::io::Write::write_all(out, text.as_bytes()))?;
        "a figure".to_string()
    };
    let vertices: usize = lines.iter().map(|l| l.points.len()).sum();
    say!(
        "wrote {} ({what}: {}x{} regions, {} polylines of {vertices} vertices refined on the network, {} junctions; evaluated on {} and traced in {:.2} s)",
        args.output_path()?.display(),
        w,
        h,
        lines.len(),
        junctions.len(),
        engine.describe(),
        started.elapsed().as_secs_f64()
    );
    if let Some(line) = data_line {
        say!("{line}");
    }
    Ok(())
}

/// RGBA8 rows as a PNG whose pHYs chunk says `dpi` (so layout programs size it in inches).
fn write_png_with_dpi(
    out: &mut dyn std::io::Write,
    pixels: &[u8],
    width: u32,
    height: u32,
    dpi: f64,
) -> std::io::Result<()> {
    let mut encoder = png::Encoder::new(out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let per_metre = (dpi / 0.0254).round() as u32;
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    writer
        .write_image_data(pixels)
        .map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
}
