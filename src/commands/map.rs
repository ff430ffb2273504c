//! `faultline map`: the 2-D boundary map as a PNG.

use std::time::Instant;

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write as _;

use super::backend::engine;
use super::data_args::load;
use super::grid_args::{check_memory, grid};
use super::plane_args::load_sliced;
use crate::cli::MapArgs;
use crate::output::{check_disk_space, png_path, prepare_one};
use faultline_model::{Domain, GridRequest, GridSpec};
use faultline_render::dots::{draw_dots_on_rows, pale, radius_for};
use faultline_render::{Dot, MapComposer, MapStyle};

/// Grid samples per band of a map written band by band.
const BAND_POINTS: usize = 8 << 20;

/// The flags of grid rows `r_lo..=r_hi`, evaluated with the row above (`r_hi + 1`, when
/// there is one) so that boundaries at the band's top edge are exact: a cell's flags
/// depend on its own row and the next.
fn band_flags(
    engine: &dyn faultline_model::GridEngine,
    grid: &GridSpec,
    r_lo: usize,
    r_hi: usize,
) -> Result<Vec<u32>> {
    let w = grid.width;
    if r_lo == 0 && r_hi + 1 == grid.height {
        let flags = engine
            .evaluate(grid, &GridRequest::flags(), &mut |_| {})?
            .flags;
        return Ok(flags.unwrap_or_default());
    }
    let r_top = (r_hi + 1).min(grid.height - 1);
    let band = GridSpec::new(
        Domain::new(grid.domain.x, [grid.y(r_lo), grid.y(r_top)])?,
        w,
        r_top - r_lo + 1,
    )?;
    let mut flags = engine
        .evaluate(&band, &GridRequest::flags(), &mut |_| {})?
        .flags
        .unwrap_or_default();
    flags.truncate((r_hi - r_lo + 1) * w);
    Ok(flags)
}

pub fn run(args: MapArgs) -> Result<()> {
    if args.zarr.is_none() && (args.part.is_some() || args.pyramid) {
        bail!("--part and --pyramid go with --zarr OUT.zarr");
    }
    if let Some(path) = &args.animate {
        return super::animate::map(&args, path);
    }
    let svg = args
        .output
        .as_deref()
        .is_some_and(|o| o.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")));
    if let Some(output) = args.output.as_deref().filter(|_| !svg) {
        png_path("-o", output)?;
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
    if let Some(path) = &args.zarr {
        if args.data.is_some() || args.title.is_some() {
            bail!("--zarr stores the classes and flags; leave out --data and --title");
        }
        return super::map_zarr::run(&args, path, model, &grid);
    }
    if svg || args.figure {
        return super::map_svg::run(&args, &sliced, model, &grid);
    }
    if args.title.is_some() || args.inches.is_some() || args.dpi != 96.0 {
        bail!("--title, --inches and --dpi are for figures (-o FIG.svg, or --figure -o FIG.png)");
    }
    if grid.width > u32::MAX as usize / 4 || grid.height > u32::MAX as usize / 4 {
        bail!(
            "--size {}x{}: PNG images are at most 2^30 pixels per side",
            grid.width,
            grid.height
        );
    }
    // Bands of rows, evaluated, composed and written one after another: memory holds one
    // band's flags and RGB rows, whatever the map's size.
    // FAULTLINE_MAP_BAND_ROWS sets the band height (tests of the seams use small bands).
    let band = std::env::var("FAULTLINE_MAP_BAND_ROWS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(BAND_POINTS / grid.width.max(1))
        .clamp(2, grid.height.max(2));
    check_memory(&grid, (band * grid.width) as f64 * (4.0 + 3.0 + 3.0))?;
    // Deflate compresses at most 1032:1, so no PNG of these pixels is smaller.
    let smallest_png = (grid.points() as f64 * 3.0 + grid.height as f64) / 1032.0;
    check_disk_space("-o", args.output_path()?, smallest_png, "the PNG")?;
    let output = prepare_one("-o", args.output_path()?, &[("the model", &args.model)])?;
    let engine = engine(args.backend, model)?;
    let (w, h) = (grid.width, grid.height);
    let data = match &args.data {
        Some(path) => Some(load(path, args.near, &sliced.record, model)?),
        None => None,
    };
    let (dots, data_line) = match &data {
        Some(data) => {
            let placed = data.place(sliced.record.plane().map(|(p, _)| p), &grid.domain);
            let d = &grid.domain;
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
            (dots, Some(data.summary(&placed)))
        }
        None => (Vec::new(), None),
    };

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
    let style = MapStyle {
        crossings: args.crossings,
    };
    let radius = radius_for(w, h);
    output.write(|out| {
        let mut encoder = png::Encoder::new(out, w as u32, h as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
        let mut stream = writer.stream_writer().map_err(std::io::Error::other)?;
        let mut composer = MapComposer::new(w, h, style);
        let mut emit = |y: usize, row: &[u8]| -> std::io::Result<()> {
            if dots.is_empty() {
                return stream.write_all(row);
            }
            let mut row = row.to_vec();
            pale(&mut row, 0.45);
            draw_dots_on_rows(&mut row, w, y..y + 1, &dots, radius);
            stream.write_all(&row)
        };
        // Image rows top to bottom: grid rows from H - 1 down.
        let mut done = 0;
        while done < h {
            let rows = band.min(h - done);
            let (r_hi, r_lo) = (h - 1 - done, h - done - rows);
            let flags = band_flags(engine.as_ref(), &grid, r_lo, r_hi)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            for r in (r_lo..=r_hi).rev() {
                let k = r - r_lo;
                composer.push_row(&flags[k * w..(k + 1) * w], &mut emit)?;
            }
            done += rows;
            bar.set_position(done as u64);
        }
        composer.finish(&mut emit)?;
        stream.finish().map_err(std::io::Error::other)?;
        Ok(())
    })?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();

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
        "wrote {} ({}x{}, evaluated on {} and written in {seconds:.2} s, {:.1} M points/s); classes: {}; boundaries dark, junctions white discs{}",
        args.output_path()?.display(),
        grid.width,
        grid.height,
        engine.describe(),
        grid.points() as f64 / seconds.max(1e-9) / 1e6,
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
