//! `faultline export --wgsl`: the generated compute shader, self-contained.

use anyhow::{Context, Result};

use crate::cli::ExportArgs;
use crate::output::check_writable;
use faultline_shader::{KernelOptions, export_source, grid_kernel};

pub fn run(args: ExportArgs) -> Result<()> {
    check_writable("--wgsl", &args.wgsl)?;
    let model = faultline_model::io::load(&args.model)?;
    let kernel = grid_kernel(&model, KernelOptions::default())?;
    let source = export_source(&model, &kernel);
    faultline_model::io::write_atomically(&args.wgsl, |w| {
        std::io::Write::write_all(w, source.as_bytes())
    })
    .with_context(|| format!("writing {}", args.wgsl.display()))?;
    println!(
        "wrote {} ({} bytes, {:?} form, {} point(s) per invocation)",
        args.wgsl.display(),
        source.len(),
        kernel.form,
        kernel.lanes
    );
    Ok(())
}
