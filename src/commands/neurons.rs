//! `faultline neurons`: the contact sheet of every hidden neuron and output.

use anyhow::{Result, bail};
use image::ImageEncoder;

use super::grid_args::grid;
use super::plane_args::load_sliced;
use crate::cli::NeuronsArgs;
use crate::output::{png_path, prepare_one};
use faultline_cpu::CpuEvaluator;
use faultline_model::{Activation, GridSpec, Mlp};
use faultline_render::sheet::{Section, Tile, contact_sheet};

/// The largest tile side.
const MAX_SIZE: usize = 1024;

pub fn run(args: NeuronsArgs) -> Result<()> {
    png_path("-o", &args.output)?;
    if !(8..=MAX_SIZE).contains(&args.size) {
        bail!(
            "--size {}: tiles must be 8 to {MAX_SIZE} samples per side",
            args.size
        );
    }
    if args.columns == 0 {
        bail!("--columns must be at least 1");
    }
    let sliced = load_sliced(&args.model, &args.plane, args.domain.as_deref())?;
    let model = &sliced.mlp;
    let grid = grid(
        model,
        &args.model,
        &args.size.to_string(),
        args.domain.as_deref(),
    )?;
    let tiles: usize = model.layers().iter().map(|l| l.outputs).sum();
    if tiles * args.size * args.size > 1 << 28 {
        bail!(
            "{tiles} tiles of {}^2 is too large a sheet; pass a smaller --size",
            args.size
        );
    }
    let output = prepare_one("-o", &args.output, &[("the model", &args.model)])?;
    let analysis = faultline_analysis::analyze(model, &grid);
    let layers = model.layers();
    let mut sections = Vec::new();
    for (l, layer) in layers[..layers.len() - 1].iter().enumerate() {
        let stats = &analysis.layers[l].neurons;
        let tiles = (0..layer.outputs)
            .map(|j| {
                Ok(Tile {
                    values: neuron_values(model, l, j, &grid)?,
                    threshold: model.neuron(l, j)?.threshold(),
                    title: format!("{j}: {} active", percent(stats[j].active)),
                    mark: stats[j].dead.then_some("dead"),
                })
            })
            .collect::<Result<Vec<Tile>>>()?;
        sections.push(Section {
            title: format!("layer {l}: {} {} neurons", layer.outputs, layer.activation),
            tiles,
        });
    }
    let last = layers.last().expect("a layer");
    let full = CpuEvaluator::new(model)?.field(&grid).values;
    let c = model.outputs();
    let outputs = (0..c)
        .map(|k| {
            let class = &analysis.classes[if c == 1 { 1 } else { k }];
            let threshold = if last.activation == Activation::Softmax {
                1.0 / c as f32
            } else {
                model.threshold()
            };
            Tile {
                values: full.iter().skip(k).step_by(c).copied().collect(),
                threshold,
                title: format!("{}: {:.1} %", class.name, 100.0 * class.area),
                mark: class.dormant.then_some("dormant"),
            }
        })
        .collect();
    sections.push(Section {
        title: format!("outputs: {c} {}", last.activation),
        tiles: outputs,
    });
    let (image, width, height) = contact_sheet(&sections, args.size, args.columns);
    output.write(|w| {
        image::codecs::png::PngEncoder::new(w)
            .write_image(
                &image,
                width as u32,
                height as u32,
                image::ExtendedColorType::Rgb8,
            )
            .map_err(std::io::Error::other)
    })?;
    let dead: usize = analysis
        .layers
        .iter()
        .map(|l| l.neurons.iter().filter(|n| n.dead).count())
        .sum();
    let dormant = analysis.classes.iter().filter(|c| c.dormant).count();
    say!(
        "wrote {} ({width}x{height}: {} neurons and {c} outputs of {}^2; {dead} dead, {dormant} dormant; blue below each one's threshold, red above, its threshold line dark)",
        args.output.display(),
        tiles - c,
        args.size
    );
    sliced.record.finish(&grid.domain)?;
    Ok(())
}

/// A share as a percentage: whole numbers, one decimal under 1 % (so 0 % means none).
fn percent(share: f64) -> String {
    if share > 0.0 && share < 0.01 {
        format!("{:.1} %", 100.0 * share)
    } else {
        format!("{:.0} %", 100.0 * share)
    }
}

/// Neuron `j` of layer `l` on `grid`: its output at every sample.
fn neuron_values(model: &Mlp, l: usize, j: usize, grid: &GridSpec) -> Result<Vec<f32>> {
    Ok(CpuEvaluator::new(&model.neuron(l, j)?)?.field(grid).values)
}
