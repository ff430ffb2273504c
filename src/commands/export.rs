//! `faultline export --wgsl`: the generated compute shader, self-contained.

use anyhow::Result;

use crate::cli::ExportArgs;
use crate::output::prepare_one;
use faultline_shader::{KernelOptions, export_source, grid_kernel};

pub fn run(args: ExportArgs) -> Result<()> {
    let model = super::load_model(&args.model)?;
    let output = prepare_one("--wgsl", &args.wgsl, &[("the model", &args.model)])?;
    let kernel = grid_kernel(&model, KernelOptions::default())?;
    let source = export_source(&model, &kernel);
    output.write(|w| std::io::Write::write_all(w, source.as_bytes()))?;
    say!(
        "wrote {} ({} bytes, {:?} form, {} point(s) per invocation)",
        args.wgsl.display(),
        source.len(),
        kernel.form,
        kernel.lanes
    );
    Ok(())
}
