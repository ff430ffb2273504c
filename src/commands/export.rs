//! `faultline export --wgsl`: the generated compute shader, self-contained; `export
//! --gltf`: the landscape as a glTF binary ([`faultline_render::gltf`]).

use anyhow::{Result, bail};

use crate::cli::ExportArgs;
use crate::output::prepare_one;
use faultline_model::{GridRequest, GridSpec};
use faultline_render::gltf::{GltfLine, GltfScene, glb};
use faultline_shader::{KernelOptions, export_source, grid_kernel};

/// The most samples per side of an exported surface.
const MAX_GLTF_SIDE: usize = 2048;

pub fn run(args: ExportArgs) -> Result<()> {
    if let Some(path) = &args.gltf {
        return gltf(&args, path);
    }
    let Some(wgsl) = &args.wgsl else {
        bail!("give --wgsl OUT.wgsl or --gltf OUT.glb");
    };
    let model = super::load_model(&args.model)?;
    let output = prepare_one("--wgsl", wgsl, &[("the model", &args.model)])?;
    let kernel = grid_kernel(&model, KernelOptions::default())?;
    let source = export_source(&model, &kernel);
    output.write(|w| std::io::Write::write_all(w, source.as_bytes()))?;
    say!(
        "wrote {} ({} bytes, {:?} form, {} point(s) per invocation)",
        wgsl.display(),
        source.len(),
        kernel.form,
        kernel.lanes
    );
    Ok(())
}

/// `export --gltf`: every surface as a mesh, evaluated on the CPU; the decision
/// boundaries and crossings traced as for figures, placed on the surfaces.
fn gltf(args: &ExportArgs, path: &std::path::Path) -> Result<()> {
    if !(2..=MAX_GLTF_SIDE).contains(&args.resolution) {
        bail!(
            "--resolution {}: a surface has 2 to {MAX_GLTF_SIDE} samples per side",
            args.resolution
        );
    }
    if !(args.height_scale.is_finite() && args.height_scale > 0.0) {
        bail!(
            "--height-scale {}: give a positive number",
            args.height_scale
        );
    }
    let sliced = super::plane_args::load_sliced(
        &args.model,
        &crate::cli::PlaneArgs::default(),
        args.domain.as_deref(),
    )?;
    let mlp = &sliced.mlp;
    let domain = super::grid_args::domain(mlp, &args.model, args.domain.as_deref())?;
    let grid = GridSpec::new(domain, args.resolution, args.resolution)?;
    let output = prepare_one("--gltf", path, &[("the model", &args.model)])?;
    let field = super::backend::engine(crate::cli::Backend::Cpu, mlp)?
        .evaluate(&grid, &GridRequest::field(), &mut |_| {})?
        .take_field()
        .map(|f| f.values)
        .unwrap_or_default();
    let crossings = faultline_model::arrays::tracks_crossings(mlp.outputs());
    let lines: Vec<GltfLine> = faultline_analysis::contours::trace(mlp, &field, &grid, crossings)
        .into_iter()
        .map(|p| GltfLine {
            decision: p.decision,
            points: p
                .points
                .iter()
                .map(|&(x, y)| {
                    // On a line z_i = z_j: the height of output i there.
                    let z = if mlp.outputs() == 1 {
                        f64::from(mlp.threshold())
                    } else {
                        mlp.forward_f64(&[x, y])[p.i]
                    };
                    [x, y, z]
                })
                .collect(),
        })
        .collect();
    let bytes = glb(&GltfScene {
        mlp,
        grid: &grid,
        field: &field,
        lines: &lines,
        height_scale: args.height_scale,
    });
    output.write(|w| std::io::Write::write_all(w, &bytes))?;
    say!(
        "wrote {} (glTF: {} surfaces of {}^2 vertices, {} boundary lines, {} bytes)",
        path.display(),
        mlp.classes(),
        args.resolution,
        lines.len(),
        bytes.len()
    );
    sliced.record.finish(&grid.domain)?;
    Ok(())
}
