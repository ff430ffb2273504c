//! Training snapshots in a model file: tensors `snapshots.{epoch}.layers.{k}.weight` and
//! `.bias`, read back as layers of the final layers' shapes.

use std::collections::BTreeMap;

use crate::{Layer, Mlp, ModelError, ModelMetadata};

/// The (epoch, layer, slot) of a tensor named `snapshots.{rest}` (`name` whole, for the
/// error).
pub(super) fn key(rest: &str, name: &str) -> Result<(usize, usize, usize), ModelError> {
    let parsed = rest.split_once('.').and_then(|(epoch, layer)| {
        let epoch = epoch.parse::<usize>().ok()?;
        let (k, slot) = crate::layout::faultline_slot(layer)?;
        Some((epoch, k, slot))
    });
    parsed.ok_or_else(|| {
        ModelError::Invalid(format!(
            "unexpected tensor '{}' (expected snapshots.{{epoch}}.layers.{{k}}.weight or .bias)",
            crate::error::quote(name)
        ))
    })
}

/// Snapshot tensors by (epoch, layer, slot: 0 weight, 1 bias): (shape, values).
pub(super) type SnapshotTensors = BTreeMap<(usize, usize, usize), (Vec<usize>, Vec<f32>)>;

/// The snapshots of `mlp`'s training from their tensors: every layer of every epoch, each
/// of the final layer's shape (and so validated like it).
pub(super) fn layers(
    mlp: &Mlp,
    tensors: SnapshotTensors,
) -> Result<Vec<(usize, Vec<Layer>)>, ModelError> {
    let epochs: std::collections::BTreeSet<usize> = tensors.keys().map(|k| k.0).collect();
    let mut out = Vec::new();
    for epoch in epochs {
        let mut layers = Vec::new();
        for (k, last) in mlp.layers().iter().enumerate() {
            let get = |slot: usize, shape: Vec<usize>| {
                let what = if slot == 0 { "weight" } else { "bias" };
                match tensors.get(&(epoch, k, slot)) {
                    Some((s, values)) if *s == shape => Ok(values.clone()),
                    Some((s, _)) => Err(ModelError::Invalid(format!(
                        "snapshots.{epoch}.layers.{k}.{what} has shape {s:?}, the model's layer has {shape:?}"
                    ))),
                    None => Err(ModelError::Invalid(format!(
                        "missing tensor snapshots.{epoch}.layers.{k}.{what}"
                    ))),
                }
            };
            layers.push(Layer {
                weight: get(0, vec![last.outputs, last.inputs])?,
                bias: get(1, vec![last.outputs])?,
                ..last.clone()
            });
        }
        if tensors
            .keys()
            .any(|&(e, k, _)| e == epoch && k >= mlp.layers().len())
        {
            return Err(ModelError::Invalid(format!(
                "snapshot {epoch} has more layers than the model"
            )));
        }
        // The same checks as the final layers (finite values).
        Mlp::new(layers.clone(), ModelMetadata::default())
            .map_err(|e| ModelError::Invalid(format!("snapshot {epoch}: {e}")))?;
        out.push((epoch, layers));
    }
    Ok(out)
}
