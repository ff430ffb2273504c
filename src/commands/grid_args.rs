//! The grid flags shared by `eval` and `map`: size, domain, memory estimate.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::output::{available_memory, human_bytes};
use faultline_model::grid::parse_size;
use faultline_model::{Domain, GridSpec, Mlp};

/// The `--domain` flag, or the model's domain when it is absent.
pub fn domain(model: &Mlp, model_path: &Path, flag: Option<&str>) -> Result<Domain> {
    match flag {
        Some(s) => Ok(Domain::parse_flag(s).context("--domain")?),
        None => model.metadata.domain.with_context(|| {
            format!(
                "{} has no domain in its metadata; pass --domain x0,x1,y0,y1",
                model_path.display()
            )
        }),
    }
}

/// Builds the grid from `--size` and `--domain` (default: the model's domain).
pub fn grid(
    model: &Mlp,
    model_path: &Path,
    size: &str,
    domain_flag: Option<&str>,
) -> Result<GridSpec> {
    let (width, height) = parse_size(size).context("--size")?;
    let domain = domain(model, model_path, domain_flag)?;
    if model.inputs() != 2 {
        bail!(
            "{}: grid evaluation needs a model with 2 inputs, this one has {}",
            model_path.display(),
            model.inputs()
        );
    }
    Ok(GridSpec::new(domain, width, height)?)
}

/// Refuses up front when `bytes_per_point` for every point would not fit in memory.
pub fn check_memory(grid: &GridSpec, bytes_per_point: f64) -> Result<()> {
    let bytes = grid.width as f64 * grid.height as f64 * bytes_per_point;
    let available = available_memory();
    if bytes > available * 0.8 {
        bail!(
            "--size {}x{}: the results would need about {}, more than the {} available",
            grid.width,
            grid.height,
            human_bytes(bytes),
            human_bytes(available)
        );
    }
    Ok(())
}
