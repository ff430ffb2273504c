//! `faultline convert`: any model file Faultline reads, written in its own format.

use anyhow::{Context, Result};

use crate::cli::ConvertArgs;
use crate::output::prepare_one;
use faultline_model::{Domain, Mlp};

pub fn run(args: ConvertArgs) -> Result<()> {
    let loaded = super::load(&args.input)?;
    let list = |s: &str| {
        s.split(',')
            .map(|n| n.trim().to_string())
            .collect::<Vec<_>>()
    };
    let mut metadata = loaded.mlp.metadata.clone();
    if let Some(classes) = &args.classes {
        metadata.classes = Some(list(classes));
    }
    if let Some(inputs) = &args.inputs {
        metadata.inputs = Some(list(inputs));
    }
    if let Some(domain) = &args.domain {
        metadata.domain = Some(Domain::parse_flag(domain).context("--domain")?);
    }
    let mlp = Mlp::new(loaded.mlp.layers().to_vec(), metadata).context("--classes / --inputs")?;
    let output = prepare_one("-o", &args.output, &[("the input", &args.input)])?;
    faultline_model::io::save_into(&mlp, output)?;
    say!(
        "wrote {} ({} {}, from {}: {})",
        args.output.display(),
        mlp.architecture(),
        mlp.layers()
            .iter()
            .map(|l| l.activation.name())
            .collect::<Vec<_>>()
            .join(","),
        args.input.display(),
        loaded.format
    );
    Ok(())
}
