//! The model file: safetensors in PyTorch's `nn.Linear` layout.
//!
//! Tensors `layers.{k}.weight` `[out, in]` and `layers.{k}.bias` `[out]`, k = 0..L-1,
//! F32 (F64, F16 and BF16 are converted on load). `__metadata__` holds `activations`
//! (required, comma list, one per layer) and the optional keys of [`ModelMetadata`].
//!
//! Reading goes through the `safetensors` crate. Writing builds the header itself so that
//! the bytes are deterministic (the crate writes `__metadata__` from a `HashMap`, whose
//! order changes from run to run); tests check that the crate reads what we write.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use safetensors::{Dtype, SafeTensorError, SafeTensors};

mod snapshots;

use crate::layout::Layout;
use crate::{Activation, Layer, Mlp, ModelError, ModelMetadata};

/// Reads and validates a model file.
pub fn load(path: &Path) -> Result<Mlp, ModelError> {
    if path.is_dir() {
        return Err(ModelError::io(
            path,
            std::io::Error::other("is a directory, expected a .safetensors file"),
        ));
    }
    Ok(load_with(path, &LoadOptions::default())?.mlp)
}

/// The bytes of `path`, refusing what is not a regular file (a FIFO would block, a device
/// would never end) and files larger than [`MAX_FILE_BYTES`].
pub fn read_regular_file(path: &Path) -> Result<Vec<u8>, ModelError> {
    use std::io::Read;
    let err = |e| ModelError::io(path, e);
    let meta = std::fs::metadata(path).map_err(err)?;
    if meta.is_dir() {
        return Err(err(std::io::Error::other(
            "is a directory, expected a file",
        )));
    }
    if !meta.is_file() {
        return Err(err(std::io::Error::other(
            "is not a regular file (a pipe, socket or device)",
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(err(std::io::Error::other(format!(
            "is {} bytes, more than the {MAX_FILE_BYTES} a model or data file may have",
            meta.len()
        ))));
    }
    let file = std::fs::File::open(path).map_err(err)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    Ok(bytes)
}

/// The largest model or data file read: 4 GiB.
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// What to use where a model file says nothing.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The activations, one per layer, for files without `activations` metadata (PyTorch
    /// state dicts).
    pub activations: Option<Vec<Activation>>,
}

/// A model as read, with how its file named its layers.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The model.
    pub mlp: Mlp,
    /// How the file named its layers.
    pub layout: Layout,
    /// Whether the activations came from [`LoadOptions`] rather than the file.
    pub activations_given: bool,
}

/// Reads and validates a model file with `options`; errors name the file.
pub fn load_with(path: &Path, options: &LoadOptions) -> Result<Loaded, ModelError> {
    let bytes = read_regular_file(path)?;
    if let Some(why) = pickled(&bytes) {
        return Err(ModelError::Format(format!(
            "{why}: a pickled PyTorch file is never unpickled here (unpickling runs code); save its weights as safetensors: python -c \"import torch; from safetensors.torch import save_file; save_file(torch.load('{0}', weights_only=True), '{0}.safetensors')\"",
            path.display()
        ))
        .in_file(path));
    }
    from_bytes_with(&bytes, options).map_err(|e| e.in_file(path))
}

/// What a pickled file (`torch.save`) looks like, if `bytes` are one.
fn pickled(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [b'P', b'K', 3, 4, ..] => Some("a zip archive (torch.save)"),
        [0x80, 2..=5, ..] => Some("a pickle (torch.save)"),
        _ => None,
    }
}

/// Parses and validates the bytes of a model file.
pub fn from_bytes(bytes: &[u8]) -> Result<Mlp, ModelError> {
    Ok(from_bytes_with(bytes, &LoadOptions::default())?.mlp)
}

/// Parses and validates the bytes of a model file with `options`.
pub fn from_bytes_with(bytes: &[u8], options: &LoadOptions) -> Result<Loaded, ModelError> {
    check_framing(bytes)?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(format_error)?;
    let tensors = SafeTensors::deserialize(bytes).map_err(format_error)?;
    let meta: BTreeMap<String, String> = header
        .metadata()
        .as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();

    let mut named = Vec::new();
    // Snapshot tensors: (epoch, layer, slot) -> (shape, values).
    let mut snapshot_tensors: snapshots::SnapshotTensors = BTreeMap::new();
    for (name, view) in tensors.tensors() {
        let values = to_f32(&name, view.dtype(), view.data())?;
        if let Some(rest) = name.strip_prefix("snapshots.") {
            let key = snapshots::key(rest, &name)?;
            snapshot_tensors.insert(key, (view.shape().to_vec(), values));
            continue;
        }
        let offset = view.data().as_ptr() as usize - bytes.as_ptr() as usize;
        named.push((name, offset, (view.shape().to_vec(), values)));
    }
    if named.is_empty() {
        return Err(ModelError::Invalid(
            "the file holds no layers (expected tensors layers.0.weight, layers.0.bias, ...)"
                .into(),
        ));
    }
    let (layout, found) = crate::layout::layers(named)?;
    let names: Vec<String> = match &layout {
        Layout::Faultline => (0..found.len()).map(|k| format!("layers.{k}")).collect(),
        Layout::StateDict { modules, .. } => modules.clone(),
    };
    let (activations, activations_given) = match (
        meta.contains_key("activations"),
        &options.activations,
    ) {
        (true, _) => (parse_activations(&meta, found.len())?, false),
        (false, Some(given)) if given.len() == found.len() => (given.clone(), true),
        (false, Some(given)) => {
            return Err(ModelError::Metadata(format!(
                "--activations lists {} entries but the file has {} linear layers ({})",
                given.len(),
                found.len(),
                names.join(", ")
            )));
        }
        (false, None) if matches!(layout, Layout::StateDict { .. }) => {
            return Err(ModelError::Metadata(format!(
                "no 'activations' metadata (a PyTorch state dict of {} linear layers: {}); pass --activations with one per layer, e.g. --activations {}",
                found.len(),
                names.join(", "),
                example_activations(found.len())
            )));
        }
        (false, None) => (parse_activations(&meta, found.len())?, false),
    };
    let mut layers = Vec::with_capacity(found.len());
    for ((name, [weight, bias]), activation) in names.iter().zip(found).zip(activations) {
        let missing = |what: &str| ModelError::Invalid(format!("missing tensor {name}.{what}"));
        let (w_shape, weight) = weight.ok_or_else(|| missing("weight"))?;
        let [outputs, inputs] = w_shape[..] else {
            return Err(ModelError::Invalid(format!(
                "{name}.weight has shape {w_shape:?}, expected [out, in]"
            )));
        };
        if outputs == 0 || inputs == 0 {
            return Err(ModelError::Invalid(format!(
                "{name}.weight has shape {w_shape:?}: a layer cannot have zero width"
            )));
        }
        // nn.Linear(bias=False) saves no bias: zeros.
        let (b_shape, bias) = match (bias, &layout) {
            (Some(b), _) => b,
            (None, Layout::StateDict { .. }) => (vec![outputs], vec![0.0; outputs]),
            (None, Layout::Faultline) => return Err(missing("bias")),
        };
        if b_shape != [outputs] {
            return Err(ModelError::Invalid(format!(
                "{name}.bias has shape {b_shape:?}, expected [{outputs}] to match {name}.weight {w_shape:?}"
            )));
        }
        layers.push(Layer {
            inputs,
            outputs,
            weight,
            bias,
            activation,
        });
    }
    let mut mlp = Mlp::new(layers, ModelMetadata::from_map(&meta)?)?;
    mlp.snapshots = snapshots::layers(&mlp, snapshot_tensors)?;
    Ok(Loaded {
        mlp,
        layout,
        activations_given,
    })
}

/// `relu,relu,softmax`-style example for `layers` layers.
fn example_activations(layers: usize) -> String {
    let mut v = vec!["relu"; layers.saturating_sub(1)];
    v.push("softmax");
    v.join(",")
}

/// Checks the 8-byte length prefix against the file size before the parser sees it, so
/// the common ways a file is broken get a precise message.
fn check_framing(bytes: &[u8]) -> Result<(), ModelError> {
    if bytes.is_empty() {
        return Err(ModelError::Format("the file is empty".into()));
    }
    if bytes.len() < 8 {
        return Err(ModelError::Format(format!(
            "the file is {} bytes, too short for the 8-byte header length",
            bytes.len()
        )));
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    let available = bytes.len() as u64 - 8;
    if n > available {
        return Err(ModelError::Format(format!(
            "the header length is {n} bytes but only {available} bytes follow (truncated file or not safetensors)"
        )));
    }
    let header = std::str::from_utf8(&bytes[8..8 + n as usize])
        .map_err(|_| ModelError::Format("the header is not UTF-8 text".into()))?;
    if let Ok(Some(key)) = crate::unique_keys::duplicate_key(header.trim_end()) {
        return Err(ModelError::Format(format!(
            "the header names '{}' twice (which one is meant is ambiguous)",
            crate::error::quote(&key)
        )));
    }
    Ok(())
}

fn format_error(e: SafeTensorError) -> ModelError {
    match e {
        SafeTensorError::InvalidHeaderDeserialization(_) | SafeTensorError::InvalidHeader(_) => {
            ModelError::Format("the header is not valid safetensors JSON".into())
        }
        other => ModelError::Format(other.to_string()),
    }
}

/// Converts a tensor's little-endian bytes to `f32`.
fn to_f32(name: &str, dtype: Dtype, data: &[u8]) -> Result<Vec<f32>, ModelError> {
    Ok(match dtype {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect(),
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        other => {
            return Err(ModelError::Invalid(format!(
                "{name} has dtype {other:?}; expected a float dtype (F32, F64, F16 or BF16)"
            )));
        }
    })
}

fn parse_activations(
    meta: &BTreeMap<String, String>,
    layers: usize,
) -> Result<Vec<Activation>, ModelError> {
    let list = meta.get("activations").ok_or_else(|| {
        ModelError::Metadata(format!(
            "missing 'activations' (a comma list with one entry per layer, {layers} here, e.g. \"sigmoid,sigmoid\")"
        ))
    })?;
    let activations = list
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<Activation>, _>>()?;
    if activations.len() != layers {
        return Err(ModelError::Metadata(format!(
            "'activations' lists {} entries ('{list}') but the file has {layers} layers",
            activations.len()
        )));
    }
    Ok(activations)
}

/// The bytes of a model file for `mlp`. Deterministic: the same model gives the same bytes.
pub fn to_bytes(mlp: &Mlp) -> Vec<u8> {
    let mut meta = BTreeMap::new();
    mlp.metadata.to_map(&mut meta);
    let activations: Vec<String> = mlp.layers().iter().map(|l| l.activation.name()).collect();
    meta.insert("activations".into(), activations.join(","));

    // Tensors sorted by name, as the safetensors crate orders same-dtype tensors.
    let mut tensors: Vec<(String, Vec<usize>, &[f32])> = Vec::new();
    for (k, layer) in mlp.layers().iter().enumerate() {
        tensors.push((format!("layers.{k}.bias"), vec![layer.outputs], &layer.bias));
        tensors.push((
            format!("layers.{k}.weight"),
            vec![layer.outputs, layer.inputs],
            &layer.weight,
        ));
    }
    for (epoch, layers) in &mlp.snapshots {
        for (k, layer) in layers.iter().enumerate() {
            tensors.push((
                format!("snapshots.{epoch}.layers.{k}.bias"),
                vec![layer.outputs],
                &layer.bias,
            ));
            tensors.push((
                format!("snapshots.{epoch}.layers.{k}.weight"),
                vec![layer.outputs, layer.inputs],
                &layer.weight,
            ));
        }
    }
    tensors.sort_by(|a, b| a.0.cmp(&b.0));

    let json = |s: &str| serde_json::to_string(s).expect("strings serialise");
    let mut header = String::from("{\"__metadata__\":{");
    let entries: Vec<String> = meta
        .iter()
        .map(|(k, v)| format!("{}:{}", json(k), json(v)))
        .collect();
    header.push_str(&entries.join(","));
    header.push('}');
    let mut offset = 0;
    for (name, shape, values) in &tensors {
        let end = offset + values.len() * 4;
        let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
        header.push_str(&format!(
            ",{}:{{\"dtype\":\"F32\",\"shape\":[{}],\"data_offsets\":[{offset},{end}]}}",
            json(name),
            dims.join(",")
        ));
        offset = end;
    }
    header.push('}');
    while !header.len().is_multiple_of(8) {
        header.push(' ');
    }

    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for (_, _, values) in &tensors {
        for v in values.iter() {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// Writes `mlp` to `path` atomically (temporary file in the same folder, then rename).
pub fn save(mlp: &Mlp, path: &Path) -> Result<(), ModelError> {
    let bytes = to_bytes(mlp);
    write_atomically(path, |w| w.write_all(&bytes))
}

/// Writes `mlp` into `out`, an output file created earlier, and renames it into place.
pub fn save_into(mlp: &Mlp, out: crate::output_file::OutputFile) -> Result<(), ModelError> {
    let bytes = to_bytes(mlp);
    out.write(|w| w.write_all(&bytes))
}

pub use crate::output_file::write_atomically;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Domain;

    fn seed_like() -> Mlp {
        let layer = |i: usize, o: usize, a| Layer {
            inputs: i,
            outputs: o,
            weight: (0..i * o).map(|v| v as f32 * 0.25 - 1.0).collect(),
            bias: (0..o).map(|v| v as f32 * -0.5).collect(),
            activation: a,
        };
        let metadata = ModelMetadata {
            domain: Some(Domain::new([0.0, 255.0], [0.0, 255.0]).unwrap()),
            classes: Some(vec!["white".into(), "black".into(), "grey".into()]),
            inputs: Some(vec!["x1".into(), "x2".into()]),
            reference: Some(vec![10.5, -0.25]),
            input_ranges: Some(vec![[0.0, 255.0], [1.0, 2.0]]),
            training: Some("{\"dataset\":\"s1\"}".into()),
            extra: BTreeMap::from([("note".into(), "kept".into())]),
        };
        Mlp::new(
            vec![
                layer(2, 3, Activation::Sigmoid),
                layer(3, 3, Activation::Sigmoid),
            ],
            metadata,
        )
        .unwrap()
    }

    #[test]
    fn round_trips_and_the_safetensors_crate_agrees() {
        let m = seed_like();
        let bytes = to_bytes(&m);
        assert_eq!(bytes, to_bytes(&m), "deterministic");
        assert_eq!(from_bytes(&bytes).unwrap(), m);
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let w = st.tensor("layers.1.weight").unwrap();
        assert_eq!(w.shape(), [3, 3]);
        assert_eq!(w.dtype(), Dtype::F32);
        let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
        let meta = header.metadata().as_ref().unwrap();
        assert_eq!(meta["activations"], "sigmoid,sigmoid");
        assert_eq!(meta["format"], "faultline.mlp.v1");
    }

    #[test]
    fn reads_what_the_safetensors_crate_writes_in_every_float_dtype() {
        let m = seed_like();
        for dtype in [Dtype::F64, Dtype::F16, Dtype::BF16] {
            let mut owned: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
            for (k, l) in m.layers().iter().enumerate() {
                let enc = |v: &[f32]| -> Vec<u8> {
                    v.iter()
                        .flat_map(|&x| match dtype {
                            Dtype::F64 => (x as f64).to_le_bytes().to_vec(),
                            Dtype::F16 => half::f16::from_f32(x).to_le_bytes().to_vec(),
                            _ => half::bf16::from_f32(x).to_le_bytes().to_vec(),
                        })
                        .collect()
                };
                owned.push((
                    format!("layers.{k}.weight"),
                    vec![l.outputs, l.inputs],
                    enc(&l.weight),
                ));
                owned.push((format!("layers.{k}.bias"), vec![l.outputs], enc(&l.bias)));
            }
            let views: Vec<(String, safetensors::tensor::TensorView)> = owned
                .iter()
                .map(|(n, s, d)| {
                    (
                        n.clone(),
                        safetensors::tensor::TensorView::new(dtype, s.clone(), d).unwrap(),
                    )
                })
                .collect();
            let meta = std::collections::HashMap::from([(
                "activations".to_string(),
                "sigmoid,sigmoid".to_string(),
            )]);
            let bytes = safetensors::serialize(views, Some(meta)).unwrap();
            let loaded = from_bytes(&bytes).unwrap();
            // The test values are multiples of 0.25 within +-3: exact in every dtype.
            for (a, b) in loaded.layers().iter().zip(m.layers()) {
                assert_eq!(a.weight, b.weight, "{dtype:?}");
                assert_eq!(a.bias, b.bias, "{dtype:?}");
            }
        }
    }
}
