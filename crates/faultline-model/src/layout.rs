//! Which tensors of a safetensors file are which linear layers: our own naming
//! (`layers.{k}.weight`, `layers.{k}.bias`) or a PyTorch state dict as `save_file` writes
//! it (`0.weight` from an `nn.Sequential`, `fc1.weight`, `net.0.weight` from a module).

use std::collections::BTreeMap;

use crate::ModelError;
use crate::error::quote;

/// How a file names its layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// `layers.{k}.weight` / `layers.{k}.bias`, k = 0..L-1.
    Faultline,
    /// A PyTorch state dict: linear layers by their module names, in the order given.
    StateDict {
        /// The module names (the keys without `.weight`), in layer order.
        modules: Vec<String>,
        /// How the order was found.
        order: Order,
    },
}

/// How a state dict's layers were put in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By the numbers in the module names (`0`, `2`, `10`; `net.0`, `net.2`).
    Numeric,
    /// As the tensors lie in the file (names without numbers, like `fc_in`, `fc_out`).
    File,
}

impl Layout {
    /// One line for `inspect`.
    pub fn describe(&self) -> String {
        match self {
            Layout::Faultline => "safetensors, faultline layout (layers.k.weight)".into(),
            Layout::StateDict { modules, order } => format!(
                "safetensors, PyTorch state dict: linear layers {} ({})",
                modules.join(", "),
                match order {
                    Order::Numeric => "in the numeric order of their names",
                    Order::File => "in file order",
                }
            ),
        }
    }
}

/// A layer's tensors by slot: 0 the weight, 1 the bias.
pub(crate) type Slots<T> = [Option<T>; 2];

/// Groups named tensors (`(name, data offset, tensor)`) into layers, in order.
pub(crate) fn layers<T>(
    tensors: Vec<(String, usize, T)>,
) -> Result<(Layout, Vec<Slots<T>>), ModelError> {
    let ours = tensors
        .iter()
        .filter(|(name, _, _)| faultline_name(name).is_some())
        .count();
    if ours == tensors.len() {
        return faultline_layers(tensors);
    }
    if ours > 0 {
        let (name, _, _) = tensors
            .iter()
            .find(|(name, _, _)| faultline_name(name).is_none())
            .expect("some name is not ours");
        return Err(ModelError::Invalid(format!(
            "unexpected tensor '{}' (expected layers.{{k}}.weight and layers.{{k}}.bias)",
            quote(name)
        )));
    }
    let mut modules: Vec<(String, usize, Slots<T>)> = Vec::new();
    for (name, offset, tensor) in tensors {
        let (module, slot) = if let Some(m) = name.strip_suffix(".weight") {
            (m, 0)
        } else if let Some(m) = name.strip_suffix(".bias") {
            (m, 1)
        } else {
            return Err(ModelError::Invalid(format!(
                "unexpected tensor '{}': not a linear layer's weight or bias (expected layers.{{k}}.weight or a PyTorch state dict of nn.Linear layers)",
                quote(&name)
            )));
        };
        match modules.iter_mut().find(|(m, _, _)| m == module) {
            Some((_, first, slots)) => {
                *first = (*first).min(offset);
                slots[slot] = Some(tensor);
            }
            None => {
                let mut slots = [None, None];
                slots[slot] = Some(tensor);
                modules.push((module.to_string(), offset, slots));
            }
        }
    }
    let numeric = modules.iter().all(|(m, _, _)| numbers(m).is_some());
    if numeric {
        modules.sort_by(|a, b| numbers(&a.0).cmp(&numbers(&b.0)).then(a.0.cmp(&b.0)));
    } else {
        modules.sort_by_key(|(_, offset, _)| *offset);
    }
    let layout = Layout::StateDict {
        modules: modules.iter().map(|(m, _, _)| m.clone()).collect(),
        order: if numeric { Order::Numeric } else { Order::File },
    };
    Ok((layout, modules.into_iter().map(|(_, _, s)| s).collect()))
}

/// Our naming, with its gap check.
fn faultline_layers<T>(
    tensors: Vec<(String, usize, T)>,
) -> Result<(Layout, Vec<Slots<T>>), ModelError> {
    let mut found: BTreeMap<usize, Slots<T>> = BTreeMap::new();
    for (name, _, tensor) in tensors {
        let (k, slot) = faultline_name(&name).expect("checked");
        found.entry(k).or_insert([None, None])[slot] = Some(tensor);
    }
    if let Some(missing) = (0..found.len()).find(|k| !found.contains_key(k)) {
        let present: Vec<String> = found.keys().map(usize::to_string).collect();
        return Err(ModelError::Invalid(format!(
            "layer numbering has a gap: layers.{missing} is missing (found layers {})",
            present.join(", ")
        )));
    }
    Ok((Layout::Faultline, found.into_values().collect()))
}

/// [`faultline_name`] for the snapshot tensors' tails.
pub(crate) fn faultline_slot(name: &str) -> Option<(usize, usize)> {
    faultline_name(name)
}

/// `layers.{k}.weight` -> (k, 0), `layers.{k}.bias` -> (k, 1).
fn faultline_name(name: &str) -> Option<(usize, usize)> {
    let rest = name.strip_prefix("layers.")?;
    let (index, kind) = rest.split_once('.')?;
    if index.is_empty()
        || !index.bytes().all(|b| b.is_ascii_digit())
        || (index.len() > 1 && index.starts_with('0'))
    {
        return None;
    }
    let k: usize = index.parse().ok()?;
    match kind {
        "weight" => Some((k, 0)),
        "bias" => Some((k, 1)),
        _ => None,
    }
}

/// The numeric components of a module name (`net.0` -> [0], `blocks.1.fc.2` -> [1, 2]),
/// or `None` when it has none.
fn numbers(module: &str) -> Option<Vec<u64>> {
    let n: Vec<u64> = module.split('.').filter_map(|p| p.parse().ok()).collect();
    (!n.is_empty()).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<(String, usize, usize)> {
        list.iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), 100 - i, i))
            .collect()
    }

    #[test]
    fn sequential_keys_go_in_numeric_order() {
        let (layout, slots) = layers(names(&[
            "10.weight",
            "10.bias",
            "2.weight",
            "2.bias",
            "0.weight",
            "0.bias",
        ]))
        .unwrap();
        let Layout::StateDict { modules, order } = layout else {
            panic!()
        };
        assert_eq!(modules, ["0", "2", "10"]);
        assert_eq!(order, Order::Numeric);
        assert_eq!(slots[0], [Some(4), Some(5)]);
    }

    #[test]
    fn named_modules_go_in_file_order() {
        // Offsets fall along the list: the last named lies first in the file.
        let (layout, _) = layers(names(&[
            "out.weight",
            "out.bias",
            "hidden.weight",
            "hidden.bias",
        ]))
        .unwrap();
        let Layout::StateDict { modules, order } = layout else {
            panic!()
        };
        assert_eq!(modules, ["hidden", "out"]);
        assert_eq!(order, Order::File);
        assert!(
            layers(names(&["bn.running_mean"]))
                .unwrap_err()
                .to_string()
                .contains("bn.running_mean")
        );
    }

    #[test]
    fn our_layout_keeps_its_gap_check() {
        let (layout, slots) = layers(names(&["layers.1.weight", "layers.0.weight"])).unwrap();
        assert_eq!(layout, Layout::Faultline);
        assert_eq!(slots.len(), 2);
        assert!(layers(names(&["layers.0.weight", "layers.2.weight"])).is_err());
    }
}
