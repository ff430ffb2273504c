//! The grid flags shared by `eval` and `map`: size, domain, memory estimate.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::output::{available_memory, human_bytes};
use faultline_model::grid::parse_size;
use faultline_model::{Domain, GridSpec, Mlp};

/// The `--domain` flag, or the model's domain when it is absent; warns (one line) when
/// the model's sums can overflow float32 on it ([`Mlp::magnitude_bound`]).
pub fn domain(model: &Mlp, model_path: &Path, flag: Option<&str>) -> Result<Domain> {
    let domain = match flag {
        Some(s) => Domain::parse_flag(s).context("--domain")?,
        None => model.metadata.domain.with_context(|| {
            format!(
                "{} has no domain in its metadata; pass --domain x0,x1,y0,y1",
                model_path.display()
            )
        })?,
    };
    let bound = model.magnitude_bound(&domain);
    if bound > f64::from(f32::MAX) {
        eprintln!(
            "warning: {}: its sums can reach {bound:.1e} on this domain, beyond float32 ({:.1e}); the field may hold inf or NaN there",
            model_path.display(),
            f32::MAX
        );
    }
    Ok(domain)
}

/// Builds the grid from `--size` and `--domain` (default: the model's domain), checking
/// the model's inputs first.
pub fn grid(
    model: &Mlp,
    model_path: &Path,
    size: &str,
    domain_flag: Option<&str>,
) -> Result<GridSpec> {
    if model.inputs() != 2 {
        bail!(
            "{}: grid evaluation needs a model with 2 inputs, this one has {}",
            model_path.display(),
            model.inputs()
        );
    }
    let (width, height) = parse_size(size).context("--size")?;
    let domain = domain(model, model_path, domain_flag)?;
    GridSpec::new(domain, width, height).context("--size")
}

/// Memory a process holds besides its grid arrays (code, the GPU driver, band buffers),
/// added to every estimate.
pub const PROCESS_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// Refuses up front when the arrays (`grid_bytes`) and the process would not fit in the
/// memory available. With FAULTLINE_SHOW_ESTIMATE=1 it prints the estimate (one
/// `estimate:` line on stderr; scripts/memory_check.sh compares it with the real peak).
pub fn check_memory(grid: &GridSpec, grid_bytes: f64) -> Result<()> {
    let bytes = grid_bytes + PROCESS_BYTES;
    if std::env::var_os("FAULTLINE_SHOW_ESTIMATE").is_some_and(|v| v == "1") {
        eprintln!("estimate: {bytes:.0} bytes");
    }
    let available = available_memory();
    if bytes > available * 0.9 {
        bail!(
            "--size {}x{}: this would need about {}, more than the {} available",
            grid.width,
            grid.height,
            human_bytes(bytes),
            human_bytes(available)
        );
    }
    Ok(())
}
