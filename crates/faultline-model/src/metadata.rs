//! The optional descriptive metadata of a model file (everything but the activations).

use std::collections::BTreeMap;

use crate::{Domain, ModelError};

/// The value written to the `format` metadata key.
pub const FORMAT_TAG: &str = "faultline.mlp.v1";

/// Descriptive metadata: the default view, names of classes and inputs, and how the model
/// was trained. All of it is optional; what is present is validated against the network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelMetadata {
    /// The default view for 2-input models (`domain`).
    pub domain: Option<Domain>,
    /// One name per output (`classes`).
    pub classes: Option<Vec<String>>,
    /// One name per input (`inputs`).
    pub inputs: Option<Vec<String>>,
    /// A point of input space, one value per input (`reference`, JSON array, e.g. the
    /// training data's mean): where a slice of a wider model fixes the inputs not shown.
    pub reference: Option<Vec<f64>>,
    /// Each input's range `[lo, hi]` (`input_ranges`, JSON `[[lo, hi], ...]`, e.g. the
    /// training data's): the default extent of an axis slice and of a viewer slider.
    pub input_ranges: Option<Vec<[f64; 2]>>,
    /// A JSON object describing the training run (`training`), kept as compact JSON text.
    pub training: Option<String>,
    /// Keys this version does not interpret, kept so a load/save round trip loses nothing.
    pub extra: BTreeMap<String, String>,
}

/// Keys with a meaning of their own, not kept in [`ModelMetadata::extra`].
pub(crate) const KNOWN_KEYS: [&str; 8] = [
    "activations",
    "domain",
    "classes",
    "inputs",
    "reference",
    "input_ranges",
    "format",
    "training",
];

impl ModelMetadata {
    /// Reads the optional keys from a model file's `__metadata__` map.
    pub(crate) fn from_map(map: &BTreeMap<String, String>) -> Result<Self, ModelError> {
        let names = |key: &str| -> Result<Option<Vec<String>>, ModelError> {
            map.get(key)
                .map(|s| {
                    serde_json::from_str::<Vec<String>>(s).map_err(|_| {
                        ModelError::Metadata(format!(
                            "'{key}' must be a JSON array of strings, got '{s}'"
                        ))
                    })
                })
                .transpose()
        };
        let training = map
            .get("training")
            .map(|s| {
                serde_json::from_str::<serde_json::Value>(s)
                    .ok()
                    .filter(serde_json::Value::is_object)
                    .map(|v| v.to_string())
                    .ok_or_else(|| {
                        ModelError::Metadata(format!("'training' must be a JSON object, got '{s}'"))
                    })
            })
            .transpose()?;
        if let Some(format) = map.get("format")
            && format != FORMAT_TAG
        {
            return Err(ModelError::Metadata(format!(
                "'format' is '{format}', this version reads '{FORMAT_TAG}'"
            )));
        }
        let reference = map
            .get("reference")
            .map(|s| {
                serde_json::from_str::<Vec<f64>>(s)
                    .ok()
                    .filter(|v| v.iter().all(|x| x.is_finite()))
                    .ok_or_else(|| {
                        ModelError::Metadata(format!(
                            "'reference' must be a JSON array of finite numbers, got '{s}'"
                        ))
                    })
            })
            .transpose()?;
        let input_ranges = map
            .get("input_ranges")
            .map(|s| {
                serde_json::from_str::<Vec<[f64; 2]>>(s)
                    .ok()
                    .filter(|v| v.iter().all(|[lo, hi]| lo.is_finite() && hi.is_finite() && lo <= hi))
                    .ok_or_else(|| {
                        ModelError::Metadata(format!(
                            "'input_ranges' must be a JSON array of [lo, hi] pairs of finite numbers with lo <= hi, got '{s}'"
                        ))
                    })
            })
            .transpose()?;
        Ok(ModelMetadata {
            reference,
            input_ranges,
            domain: map
                .get("domain")
                .map(|s| Domain::from_json(s))
                .transpose()?,
            classes: names("classes")?,
            inputs: names("inputs")?,
            training,
            extra: map
                .iter()
                .filter(|(k, _)| !KNOWN_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    /// Writes the keys into a `__metadata__` map (without `activations`).
    pub(crate) fn to_map(&self, map: &mut BTreeMap<String, String>) {
        let json = |v: &Vec<String>| serde_json::to_string(v).expect("strings serialise");
        map.extend(self.extra.clone());
        map.insert("format".into(), FORMAT_TAG.into());
        if let Some(d) = &self.domain {
            map.insert("domain".into(), d.to_json());
        }
        if let Some(c) = &self.classes {
            map.insert("classes".into(), json(c));
        }
        if let Some(i) = &self.inputs {
            map.insert("inputs".into(), json(i));
        }
        if let Some(r) = &self.reference {
            map.insert(
                "reference".into(),
                serde_json::to_string(r).expect("numbers serialise"),
            );
        }
        if let Some(r) = &self.input_ranges {
            map.insert(
                "input_ranges".into(),
                serde_json::to_string(r).expect("numbers serialise"),
            );
        }
        if let Some(t) = &self.training {
            map.insert("training".into(), t.clone());
        }
    }

    /// Checks the name lists against the network's input and output counts.
    pub(crate) fn check_against(&self, inputs: usize, outputs: usize) -> Result<(), ModelError> {
        for (key, list, expected, what) in [
            (
                "classes",
                &self.classes,
                crate::arrays::class_count(outputs),
                "classes",
            ),
            ("inputs", &self.inputs, inputs, "inputs"),
        ] {
            if let Some(list) = list
                && list.len() != expected
            {
                return Err(ModelError::Metadata(format!(
                    "'{key}' names {} entries but the network has {expected} {what}",
                    list.len()
                )));
            }
        }
        for (key, len) in [
            ("reference", self.reference.as_ref().map(Vec::len)),
            ("input_ranges", self.input_ranges.as_ref().map(Vec::len)),
        ] {
            if let Some(len) = len
                && len != inputs
            {
                return Err(ModelError::Metadata(format!(
                    "'{key}' has {len} entries but the network has {inputs} inputs"
                )));
            }
        }
        Ok(())
    }

    /// The range of input `k`: `input_ranges`, else for a 2-input model its `domain`.
    pub fn input_range(&self, k: usize) -> Option<[f64; 2]> {
        if let Some(ranges) = &self.input_ranges {
            return ranges.get(k).copied();
        }
        self.domain.and_then(|d| match k {
            0 => Some(d.x),
            1 => Some(d.y),
            _ => None,
        })
    }
}

/// One training snapshot's figures, a record of the `snapshots` metadata (JSON
/// `[{"epoch", "loss", "train_accuracy", "test_accuracy"}]`, written by
/// `train --snapshot-every`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SnapshotRecord {
    /// The epoch the weights are from (0: before any step).
    pub epoch: usize,
    /// The training loss at that epoch.
    pub loss: Option<f64>,
    /// Accuracy on the training set.
    pub train_accuracy: Option<f64>,
    /// Accuracy on the first test set.
    pub test_accuracy: Option<f64>,
}

impl SnapshotRecord {
    /// `epoch 20  ·  loss 0.2192  ·  train 93.8 %  ·  test 93.9 %`, with the figures the
    /// record has.
    pub fn caption(&self) -> String {
        let mut parts = vec![format!("epoch {}", self.epoch)];
        if let Some(loss) = self.loss {
            parts.push(format!("loss {loss:.4}"));
        }
        for (v, name) in [(self.train_accuracy, "train"), (self.test_accuracy, "test")] {
            if let Some(v) = v {
                parts.push(format!("{name} {:.1} %", 100.0 * v));
            }
        }
        parts.join("  ·  ")
    }
}

impl ModelMetadata {
    /// The records of the `snapshots` key, in file order; none where the key is absent or
    /// not a JSON array of objects with an `epoch`.
    pub fn snapshot_records(&self) -> Vec<SnapshotRecord> {
        let Some(values) = self
            .extra
            .get("snapshots")
            .and_then(|s| serde_json::from_str::<Vec<serde_json::Value>>(s).ok())
        else {
            return Vec::new();
        };
        values
            .iter()
            .filter_map(|r| {
                Some(SnapshotRecord {
                    epoch: usize::try_from(r.get("epoch")?.as_u64()?).ok()?,
                    loss: r.get("loss").and_then(|v| v.as_f64()),
                    train_accuracy: r.get("train_accuracy").and_then(|v| v.as_f64()),
                    test_accuracy: r.get("test_accuracy").and_then(|v| v.as_f64()),
                })
            })
            .collect()
    }

    /// The record of `epoch`, or one with the epoch alone where the metadata has none.
    pub fn snapshot_record(&self, epoch: usize) -> SnapshotRecord {
        self.snapshot_records()
            .into_iter()
            .find(|r| r.epoch == epoch)
            .unwrap_or(SnapshotRecord {
                epoch,
                ..Default::default()
            })
    }
}
