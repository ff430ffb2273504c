//! `faultline inspect`: what a model file holds.

use anyhow::Result;

use crate::cli::InspectArgs;

pub fn run(args: InspectArgs) -> Result<()> {
    let loaded = super::load(&args.model)?;
    let model = &loaded.mlp;
    let m = &model.metadata;
    say!("model       {}", args.model.display());
    say!("format      {}", loaded.format);
    say!(
        "network     {} ({} parameters)",
        model.architecture(),
        model.parameter_count()
    );
    for (k, layer) in model.layers().iter().enumerate() {
        let label = if k == 0 { "layers" } else { "" };
        say!(
            "{label:<11} {k}: {} -> {} {}",
            layer.inputs,
            layer.outputs,
            layer.activation
        );
    }
    if loaded.activations_given {
        say!("            (activations from --activations; the file names none)");
    }
    say!("inputs      {}", model.input_names().join(", "));
    say!("classes     {}", model.class_names().join(", "));
    match &m.domain {
        Some(d) => say!(
            "domain      x [{}, {}], y [{}, {}]",
            d.x[0],
            d.x[1],
            d.y[0],
            d.y[1]
        ),
        None if model.inputs() > 2 => say!(
            "domain      (a plane through its {} inputs: --axes A,B [--at ...], --through, --pca or --plane)",
            model.inputs()
        ),
        None => say!("domain      (none; pass --domain to eval)"),
    }
    let names = model.input_names();
    if let Some(reference) = &m.reference {
        let values: Vec<String> = names
            .iter()
            .zip(reference)
            .map(|(n, v)| format!("{n}={v:.4}"))
            .collect();
        say!("reference   {}", values.join(", "));
    }
    if let Some(ranges) = &m.input_ranges {
        let values: Vec<String> = names
            .iter()
            .zip(ranges)
            .map(|(n, [lo, hi])| format!("{n} [{lo}, {hi}]"))
            .collect();
        say!("ranges      {}", values.join(", "));
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
            say!("training    {}", fields.join(" "));
        }
        None => say!("training    (no record)"),
    }
    for (k, v) in &m.extra {
        if k == "snapshots" {
            continue;
        }
        say!("{k:<11} {v}");
    }
    let records = m.snapshot_records();
    if !model.snapshots.is_empty() {
        say!(
            "snapshots   {} epochs (use one with --epoch E): epoch, loss, train / test accuracy",
            model.snapshots.len()
        );
        for (epoch, _) in &model.snapshots {
            let r = records
                .iter()
                .find(|r| r.epoch == *epoch)
                .copied()
                .unwrap_or_default();
            let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2} %", 100.0 * v));
            say!(
                "            {epoch:>5}  {}  {} / {}",
                r.loss.map_or("-".to_string(), |l| format!("{l:.4}")),
                pct(r.train_accuracy),
                pct(r.test_accuracy)
            );
        }
    }
    Ok(())
}
