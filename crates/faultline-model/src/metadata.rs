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
    /// A JSON object describing the training run (`training`), kept as compact JSON text.
    pub training: Option<String>,
    /// Keys this version does not interpret, kept so a load/save round trip loses nothing.
    pub extra: BTreeMap<String, String>,
}

/// Keys with a meaning of their own, not kept in [`ModelMetadata::extra`].
pub(crate) const KNOWN_KEYS: [&str; 6] = [
    "activations",
    "domain",
    "classes",
    "inputs",
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
        Ok(ModelMetadata {
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
        Ok(())
    }
}
