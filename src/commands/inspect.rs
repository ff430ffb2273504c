//! `faultline inspect`: what a model file holds.

use anyhow::Result;

use crate::cli::InspectArgs;

pub fn run(args: InspectArgs) -> Result<()> {
    let loaded = super::load(&args.model)?;
    let model = &loaded.mlp;
    let m = &model.metadata;
    println!("model       {}", args.model.display());
    println!("format      {}", loaded.format);
    println!(
        "network     {} ({} parameters)",
        model.architecture(),
        model.parameter_count()
    );
    for (k, layer) in model.layers().iter().enumerate() {
        let label = if k == 0 { "layers" } else { "" };
        println!(
            "{label:<11} {k}: {} -> {} {}",
            layer.inputs, layer.outputs, layer.activation
        );
    }
    if loaded.activations_given {
        println!("            (activations from --activations; the file names none)");
    }
    println!("inputs      {}", model.input_names().join(", "));
    println!("classes     {}", model.class_names().join(", "));
    match &m.domain {
        Some(d) => println!(
            "domain      x [{}, {}], y [{}, {}]",
            d.x[0], d.x[1], d.y[0], d.y[1]
        ),
        None => println!("domain      (none; pass --domain to eval)"),
    }
    match &m.training {
        Some(t) => {
            let v: serde_json::Value = serde_json::from_str(t)?;
            let fields: Vec<String> = v
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            println!("training    {}", fields.join(" "));
        }
        None => println!("training    (no record)"),
    }
    for (k, v) in &m.extra {
        println!("{k:<11} {v}");
    }
    Ok(())
}
