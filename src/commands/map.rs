//! `faultline map`: the 2-D boundary map as a PNG.

use std::time::Instant;

use anyhow::{Result, bail};
use image::ImageEncoder;
use indicatif::{ProgressBar, ProgressStyle};

use super::backend::engine;
use super::data_args::load;
use super::grid_args::{check_memory, grid};
use super::plane_args::load_sliced;
use crate::cli::MapArgs;
use crate::output::{png_path, prepare_one};
use faultline_model::GridRequest;
use faultline_render::dots::{pale, radius_for};
use faultline_render::{Dot, MapStyle, compose_map, draw_dots};

pub fn run(args: MapArgs) -> Result<()> {
    let svg = args
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if !svg {
        png_path("-o", &args.output)?;
    }
    let sliced = load_sliced(&args.model, &args.plane, args.domain.as_deref())?;
    let shown = match &args.neuron {
        Some(spec) => Some(super::landscape::neuron(&sliced.mlp, "--neuron", spec)?),
        None => None,
    };
    let model = shown.as_ref().unwrap_or(&sliced.mlp);
    let grid = grid(model, &args.model, &args.size, args.domain.as_deref())?;
    if args.crossings && !faultline_model::arrays::tracks_crossings(model.outputs()) {
        bail!(
            "--crossings: {}",
            faultline_model::arrays::too_many_pairs(model.outputs())
        );
    }
    if svg {
        return super::map_svg::run(&args, &sliced, model, &grid);
    }
    if args.title.is_some() {
        bail!("--title: only figures (-o FIG.svg) have a title");
    }
    // Flags (u32) and the RGB image on the host; PNG encoding streams.
    check_memory(&grid, grid.points() as f64 * (4.0 + 3.0))?;
    let output = prepare_one("-o", &args.output, &[("the model", &args.model)])?;
    let engine = engine(args.backend, model)?;

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
    let flags = engine
        .evaluate(&grid, &GridRequest::flags(), &mut |rows| {
            bar.set_position(rows as u64)
        })?
        .flags
        .unwrap_or_default();
    bar.finish_and_clear();
    let evaluated = started.elapsed().as_secs_f64();

    let style = MapStyle {
        crossings: args.crossings,
    };
    let mut image = compose_map(&flags, grid.width, grid.height, style);
    drop(flags);
    let data_line = match &args.data {
        Some(data) => {
            let data = load(data, args.near, &sliced.record, model)?;
            let placed = data.place(sliced.record.plane().map(|(p, _)| p), &grid.domain);
            let line = data.summary(&placed);
            let d = &grid.domain;
            let (w, h) = (grid.width, grid.height);
            let mut dots: Vec<Dot> = placed
                .iter()
                .map(|p| Dot {
                    x: (p.s - d.x[0]) / (d.x[1] - d.x[0]) * (w.max(2) - 1) as f64,
                    y: (h.max(2) - 1) as f64 * (1.0 - (p.t - d.y[0]) / (d.y[1] - d.y[0])),
                    colour: p.colour(),
                    misclassified: p.misclassified(),
                })
                .collect();
            // Misclassified samples on top, where nothing hides them.
            dots.sort_by_key(|d| d.misclassified);
            pale(&mut image, 0.45);
            draw_dots(&mut image, w, h, &dots, radius_for(w, h));
            Some(line)
        }
        None => None,
    };
    output.write(|w| {
        image::codecs::png::PngEncoder::new(w)
            .write_image(
                &image,
                grid.width as u32,
                grid.height as u32,
                image::ExtendedColorType::Rgb8,
            )
            .map_err(std::io::Error::other)
    })?;

    let names = model.class_names();
    // The legend names the first LEGEND_CLASSES classes; a wide model's line stays short.
    const LEGEND_CLASSES: usize = 16;
    let mut legend: Vec<String> = names
        .iter()
        .take(LEGEND_CLASSES)
        .enumerate()
        .map(|(k, n)| {
            let [r, g, b] = faultline_render::class_colour(k);
            format!("{n} #{r:02X}{g:02X}{b:02X}")
        })
        .collect();
    if names.len() > LEGEND_CLASSES {
        legend.push(format!("and {} more", names.len() - LEGEND_CLASSES));
    }
    say!(
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
    if let Some(line) = data_line {
        say!("{line}");
    }
    sliced.record.finish(&grid.domain)?;
    Ok(())
}
