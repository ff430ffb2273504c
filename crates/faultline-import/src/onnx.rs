//! ONNX graphs of dense layers into an [`Mlp`].
//!
//! The graph's nodes are followed in their (topological) order from its one input: affine
//! preprocessing on the input (skl2onnx's `Scaler`, `Sub`/`Add`/`Mul`/`Div` by constants)
//! is folded into the first layer exactly in float64; `MatMul` + `Add` and `Gemm` are
//! linear layers; `Relu`, `Sigmoid`, `Tanh`, `Softmax` (last axis), `LeakyRelu` (its
//! alpha) and `Identity` their activations; `Cast`, `Flatten` and `Reshape` on the chain
//! change nothing; constants are folded (`Transpose` of a weight, `Mul`/`Add`/`Sub`/`Div`/
//! `Neg` of constants); model-local functions are inlined first; skl2onnx's binary `[1 - p, p]` (`Sub` + `Concat`) is a one-output
//! classifier. What computes labels from the scores (`ArgMax`, `ArrayFeatureExtractor`,
//! `ZipMap`, ...) is ignored; class labels are read from it. Any other node the scores
//! depend on is refused, naming it.

mod constants;
mod inline;
pub mod messages;
mod walk;

use std::collections::HashMap;

use faultline_model::{Activation, Mlp, ModelError, ModelMetadata};

use messages::Tensor;
use walk::{Affine, Sym, Walk};

/// An ONNX model as read.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The network.
    pub mlp: Mlp,
    /// One line for `inspect`: the producer, the scores read, the preprocessing folded.
    pub describe: String,
}

/// Whether `bytes` look like an ONNX `ModelProto` (a graph field and an IR version),
/// rather than safetensors.
pub fn looks_like_onnx(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(0x08)) && messages::model(bytes).is_ok()
}

/// The largest number of elements one tensor may claim.
const MAX_ELEMENTS: u64 = 1 << 26;

/// Reads an ONNX model of dense layers.
pub fn from_bytes(bytes: &[u8]) -> Result<Imported, ModelError> {
    let invalid = |m: String| ModelError::Invalid(m);
    let model = messages::model(bytes)
        .map_err(|e| ModelError::Invalid(format!("not a valid ONNX file: {e}")))?;
    let g = &model.graph;
    for t in &g.initializers {
        t.elements(MAX_ELEMENTS).map_err(|e| invalid(e.0))?;
    }
    let consts: HashMap<&str, &Tensor> = g
        .initializers
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let inputs: Vec<&String> = g
        .inputs
        .iter()
        .filter(|n| !consts.contains_key(n.as_str()))
        .collect();
    let [input] = inputs[..] else {
        return Err(invalid(format!(
            "the graph has {} inputs ({}); Faultline reads a graph with one input tensor",
            inputs.len(),
            inputs
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let mut walk = Walk {
        syms: HashMap::new(),
        consts: consts
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).clone()))
            .collect(),
        classes: None,
        folded: Vec::new(),
        last_scores: None,
    };
    walk.syms
        .insert(input.clone(), Sym::Input(Affine::default()));
    let nodes = inline::inline(&g.nodes, &model.functions)
        .map_err(|e| invalid(format!("the graph cannot be read: {e}")))?;
    for node in &nodes {
        walk.node(node)?;
    }
    let scores = g
        .outputs
        .iter()
        .find_map(|o| match walk.syms.get(o) {
            Some(Sym::Scores(layers, binary)) => Some((o, layers.clone(), *binary)),
            Some(Sym::Linear(layers, pending)) => {
                let mut layers = layers.clone();
                layers.push(pending.layer(Activation::Identity));
                Some((o, layers, false))
            }
            _ => None,
        })
        // With ZipMap the probabilities are no graph output: the last scores computed.
        .or_else(|| {
            walk.last_scores
                .as_ref()
                .and_then(|o| match walk.syms.get(o) {
                    Some(Sym::Scores(layers, binary)) => Some((o, layers.clone(), *binary)),
                    _ => None,
                })
        })
        .ok_or_else(|| {
            invalid("no output of the graph is computed from its input by dense layers".into())
        })?;
    let (name, layers, binary) = scores;
    let mut metadata = ModelMetadata::default();
    if let Some(classes) = walk.classes.take() {
        let outputs = layers.last().map_or(0, |l| l.outputs);
        if faultline_model::arrays::class_count(outputs) == classes.len() {
            metadata.classes = Some(classes);
        }
    }
    let inputs = layers[0].inputs;
    metadata.inputs = Some((0..inputs).map(|k| format!("{input}[{k}]")).collect());
    let mlp = Mlp::new(layers, metadata)?;
    let describe = format!(
        "ONNX{}: scores '{name}'{}; {}",
        if model.producer.is_empty() {
            String::new()
        } else {
            format!(" from {}", model.producer)
        },
        if binary {
            " (the binary [1 - p, p] read as one sigmoid output)"
        } else {
            ""
        },
        if walk.folded.is_empty() {
            "no preprocessing in the file (the model takes its inputs as they are given)"
                .to_string()
        } else {
            format!(
                "includes its preprocessing ({}, folded into the first layer)",
                walk.folded.join(", ")
            )
        }
    );
    Ok(Imported { mlp, describe })
}
