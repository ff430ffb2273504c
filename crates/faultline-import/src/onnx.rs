//! ONNX graphs of dense layers into an [`Mlp`].
//!
//! The graph's nodes are followed in their (topological) order from its one input: affine
//! preprocessing on the input (skl2onnx's `Scaler`, `Sub`/`Add`/`Mul`/`Div` by constants)
//! is folded into the first layer exactly in float64; `MatMul` + `Add` and `Gemm` are
//! linear layers; `Relu`, `Sigmoid`, `Tanh`, `Softmax` (last axis), `LeakyRelu` (slope
//! 0.01) and `Identity` their activations; `Cast`, `Flatten` and `Reshape` on the chain
//! change nothing; skl2onnx's binary `[1 - p, p]` (`Sub` + `Concat`) is a one-output
//! classifier. What computes labels from the scores (`ArgMax`, `ArrayFeatureExtractor`,
//! `ZipMap`, ...) is ignored; class labels are read from it. Any other node the scores
//! depend on is refused, naming it.

pub mod messages;

use std::collections::HashMap;

use faultline_model::{Activation, Layer, Mlp, ModelError, ModelMetadata};

use messages::{Node, Tensor};

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
    for node in &g.nodes {
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

/// A per-feature affine map `x * scale + shift` (empty: the identity, width unknown).
#[derive(Debug, Clone, Default)]
struct Affine {
    scale: Vec<f64>,
    shift: Vec<f64>,
}

impl Affine {
    fn widen(&mut self, n: usize) {
        if self.scale.is_empty() {
            self.scale = vec![1.0; n];
            self.shift = vec![0.0; n];
        }
    }
}

/// A linear layer being built: weight `[out, in]` and bias, in f64.
#[derive(Debug, Clone)]
struct Pending {
    inputs: usize,
    outputs: usize,
    weight: Vec<f64>,
    bias: Vec<f64>,
}

impl Pending {
    fn layer(&self, activation: Activation) -> Layer {
        Layer {
            inputs: self.inputs,
            outputs: self.outputs,
            weight: self.weight.iter().map(|&v| v as f32).collect(),
            bias: self.bias.iter().map(|&v| v as f32).collect(),
            activation,
        }
    }
}

/// What a tensor of the graph is, as far as the chain goes.
#[derive(Debug, Clone)]
enum Sym {
    /// The graph input after per-feature affine preprocessing.
    Input(Affine),
    /// The pre-activation of a layer after `layers`.
    Linear(Vec<Layer>, Pending),
    /// Activations after `layers`; `true` once read from the binary `[1 - p, p]`.
    Scores(Vec<Layer>, bool),
    /// `1 - p` of a one-output sigmoid after `layers` (half of the binary pattern).
    OneMinus(Vec<Layer>),
}

struct Walk {
    syms: HashMap<String, Sym>,
    consts: HashMap<String, Tensor>,
    classes: Option<Vec<String>>,
    folded: Vec<String>,
    /// The tensor that last received scores.
    last_scores: Option<String>,
}

/// Ops that compute labels or bookkeeping from the scores: ignored.
const LABEL_OPS: [&str; 5] = [
    "ArgMax",
    "ArrayFeatureExtractor",
    "ZipMap",
    "LabelEncoder",
    "Shape",
];

impl Walk {
    fn node(&mut self, n: &Node) -> Result<(), ModelError> {
        let on_chain: Vec<(usize, Sym)> = n
            .inputs
            .iter()
            .enumerate()
            .filter_map(|(i, name)| self.syms.get(name).map(|s| (i, s.clone())))
            .collect();
        self.read_labels(n);
        if n.op == "Constant" {
            if let (Some(t), Some(out)) =
                (n.attributes.iter().find_map(|a| a.t.clone()), n.outputs.first())
            {
                self.consts.insert(out.clone(), t);
            }
            return Ok(());
        }
        if on_chain.is_empty() {
            // Constant folding and label post-processing: nothing the scores depend on.
            return Ok(());
        }
        if LABEL_OPS.contains(&n.op.as_str()) || (n.op == "Cast" && !casts_to_float(n)) {
            return Ok(());
        }
        let refuse = |why: &str| {
            ModelError::Invalid(format!(
                "node '{}' ({}{}): {why}",
                n.name,
                if n.domain.is_empty() {
                    String::new()
                } else {
                    format!("{}.", n.domain)
                },
                n.op
            ))
        };
        let out = n
            .outputs
            .first()
            .cloned()
            .ok_or_else(|| refuse("has no output"))?;
        let (slot, sym) = on_chain[0].clone();
        let other_const = |this: &Self| {
            n.inputs
                .iter()
                .enumerate()
                .find(|(i, _)| *i != slot)
                .and_then(|(_, name)| this.consts.get(name).cloned())
        };
        let result = match (n.op.as_str(), sym) {
            ("Cast" | "Identity" | "Flatten" | "Reshape" | "Dropout", s) => s,
            ("Scaler", Sym::Input(mut a)) => {
                let offset = floats_attr(n, "offset");
                let scale = floats_attr(n, "scale");
                let width = offset.len().max(scale.len()).max(a.scale.len());
                a.widen(width);
                let at = |v: &[f64], i: usize, d: f64| match v.len() {
                    0 => d,
                    1 => v[0],
                    _ => v.get(i).copied().unwrap_or(d),
                };
                for i in 0..a.scale.len() {
                    let (o, s) = (at(&offset, i, 0.0), at(&scale, i, 1.0));
                    a.scale[i] *= s;
                    a.shift[i] = (a.shift[i] - o) * s;
                }
                self.folded.push("Scaler".into());
                Sym::Input(a)
            }
            (op @ ("Sub" | "Add" | "Mul" | "Div"), Sym::Input(mut a)) => {
                let c = other_const(self)
                    .ok_or_else(|| refuse("the other operand is not a constant"))?;
                if matches!(op, "Sub" | "Div") && slot != 0 {
                    return Err(refuse(
                        "a constant minus or over the input is not affine per feature",
                    ));
                }
                let width = c.floats.len().max(a.scale.len());
                a.widen(width);
                for i in 0..a.scale.len() {
                    let v = match c.floats.len() {
                        1 => c.floats[0],
                        _ => *c.floats.get(i).ok_or_else(|| {
                            refuse("the constant does not match the input's width")
                        })?,
                    };
                    match op {
                        "Sub" => a.shift[i] -= v,
                        "Add" => a.shift[i] += v,
                        "Mul" => {
                            a.scale[i] *= v;
                            a.shift[i] *= v;
                        }
                        _ => {
                            a.scale[i] /= v;
                            a.shift[i] /= v;
                        }
                    }
                }
                self.folded.push(op.to_string());
                Sym::Input(a)
            }
            ("MatMul" | "Gemm", s) => {
                if slot != 0 {
                    return Err(refuse("the input is the second operand"));
                }
                let w = n
                    .inputs
                    .get(1)
                    .and_then(|name| self.consts.get(name))
                    .cloned()
                    .ok_or_else(|| refuse("the weights are not a constant"))?;
                let [rows, cols] = w.dims[..] else {
                    return Err(refuse(&format!(
                        "weights of shape {:?}, expected 2-D",
                        w.dims
                    )));
                };
                let (rows, cols) = (rows as usize, cols as usize);
                let int = |name: &str| {
                    n.attributes
                        .iter()
                        .find(|a| a.name == name)
                        .and_then(|a| a.i)
                        .unwrap_or(0)
                };
                let float = |name: &str| {
                    n.attributes
                        .iter()
                        .find(|a| a.name == name)
                        .and_then(|a| a.f)
                        .map_or(1.0, f64::from)
                };
                let gemm = n.op == "Gemm";
                if gemm && int("transA") != 0 {
                    return Err(refuse("transA = 1 is not a dense layer on the input"));
                }
                let trans_b = gemm && int("transB") != 0;
                let alpha = if gemm { float("alpha") } else { 1.0 };
                let (inputs, outputs) = if trans_b { (cols, rows) } else { (rows, cols) };
                let at = |o: usize, i: usize| {
                    if trans_b {
                        w.floats[o * cols + i]
                    } else {
                        w.floats[i * cols + o]
                    }
                };
                let mut weight: Vec<f64> = (0..outputs)
                    .flat_map(|o| (0..inputs).map(move |i| (o, i)))
                    .map(|(o, i)| alpha * at(o, i))
                    .collect();
                let mut bias = vec![0.0; outputs];
                if let Some(c) = n.inputs.get(2).filter(|s| gemm && !s.is_empty()) {
                    let c = self
                        .consts
                        .get(c)
                        .ok_or_else(|| refuse("the bias is not a constant"))?;
                    add_bias(&mut bias, c, float("beta")).map_err(|e| refuse(&e))?;
                }
                let layers = match s {
                    Sym::Input(a) => {
                        if !a.scale.is_empty() {
                            if a.scale.len() != inputs {
                                return Err(refuse(
                                    "the preprocessing's width differs from the layer's",
                                ));
                            }
                            for o in 0..outputs {
                                for i in 0..inputs {
                                    bias[o] += weight[o * inputs + i] * a.shift[i];
                                    weight[o * inputs + i] *= a.scale[i];
                                }
                            }
                        }
                        Vec::new()
                    }
                    Sym::Scores(layers, false) => layers,
                    Sym::Linear(mut layers, pending) => {
                        layers.push(pending.layer(Activation::Identity));
                        layers
                    }
                    _ => return Err(refuse("follows the binary [1 - p, p] scores")),
                };
                if let Some(last) = layers.last()
                    && last.outputs != inputs
                {
                    return Err(refuse(&format!(
                        "takes {inputs} inputs after a layer of {}",
                        last.outputs
                    )));
                }
                Sym::Linear(
                    layers,
                    Pending {
                        inputs,
                        outputs,
                        weight,
                        bias,
                    },
                )
            }
            ("Add", Sym::Linear(layers, mut pending)) => {
                let c = other_const(self).ok_or_else(|| refuse("the bias is not a constant"))?;
                add_bias(&mut pending.bias, &c, 1.0).map_err(|e| refuse(&e))?;
                Sym::Linear(layers, pending)
            }
            (
                op @ ("Relu" | "Sigmoid" | "Tanh" | "Softmax" | "LeakyRelu"),
                Sym::Linear(mut layers, pending),
            ) => {
                let activation = match op {
                    "Relu" => Activation::Relu,
                    "Sigmoid" => Activation::Sigmoid,
                    "Tanh" => Activation::Tanh,
                    "Softmax" => {
                        let axis = n
                            .attributes
                            .iter()
                            .find(|a| a.name == "axis")
                            .and_then(|a| a.i)
                            .unwrap_or(-1);
                        if axis != -1 && axis != 1 {
                            return Err(refuse(&format!(
                                "softmax over axis {axis}, not the scores"
                            )));
                        }
                        Activation::Softmax
                    }
                    _ => {
                        let alpha = n
                            .attributes
                            .iter()
                            .find(|a| a.name == "alpha")
                            .and_then(|a| a.f)
                            .unwrap_or(0.01);
                        if (f64::from(alpha) - faultline_model::activation::LEAKY_RELU_SLOPE).abs()
                            > 1e-7
                        {
                            return Err(refuse(&format!(
                                "slope {alpha}; Faultline's leaky_relu has slope 0.01"
                            )));
                        }
                        Activation::LeakyRelu
                    }
                };
                layers.push(pending.layer(activation));
                Sym::Scores(layers, false)
            }
            ("Sub", Sym::Scores(layers, false)) if slot == 1 => {
                let c = other_const(self).ok_or_else(|| refuse("not 1 - p"))?;
                let last = layers.last().expect("scores follow a layer");
                if c.floats != [1.0] || last.outputs != 1 || last.activation != Activation::Sigmoid
                {
                    return Err(refuse(
                        "changes the scores (only the binary 1 - p of one sigmoid output is read)",
                    ));
                }
                Sym::OneMinus(layers)
            }
            ("Concat", Sym::OneMinus(layers)) => {
                let second = n.inputs.get(1).and_then(|name| self.syms.get(name));
                if slot != 0
                    || !matches!(second, Some(Sym::Scores(_, false)))
                    || n.inputs.len() != 2
                {
                    return Err(refuse("is not the binary [1 - p, p]"));
                }
                Sym::Scores(layers, true)
            }
            _ => {
                return Err(refuse(
                    "is not part of a chain of dense layers Faultline reads",
                ));
            }
        };
        if matches!(result, Sym::Scores(..)) {
            self.last_scores = Some(out.clone());
        }
        self.syms.insert(out, result);
        Ok(())
    }

    /// Class labels from ZipMap's attributes or the `classes` constant of
    /// ArrayFeatureExtractor.
    fn read_labels(&mut self, n: &Node) {
        if self.classes.is_some() {
            return;
        }
        for a in &n.attributes {
            if a.name == "classlabels_strings" && !a.strings.is_empty() {
                self.classes = Some(a.strings.clone());
            } else if a.name == "classlabels_int64s" && !a.ints.is_empty() {
                self.classes = Some(a.ints.iter().map(i64::to_string).collect());
            }
        }
        let table = n.inputs.first().and_then(|c| self.consts.get(c));
        if let Some(t) = table.filter(|_| n.op == "ArrayFeatureExtractor") {
            if !t.strings.is_empty() {
                self.classes = Some(t.strings.clone());
            } else if !t.ints.is_empty() {
                self.classes = Some(t.ints.iter().map(i64::to_string).collect());
            }
        }
    }
}

fn casts_to_float(n: &Node) -> bool {
    // TensorProto.FLOAT = 1, DOUBLE = 11, FLOAT16 = 10.
    n.attributes
        .iter()
        .find(|a| a.name == "to")
        .and_then(|a| a.i)
        .is_some_and(|to| matches!(to, 1 | 10 | 11))
}

fn floats_attr(n: &Node, name: &str) -> Vec<f64> {
    n.attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.floats.iter().map(|&v| f64::from(v)).collect())
        .unwrap_or_default()
}

fn add_bias(bias: &mut [f64], c: &Tensor, beta: f64) -> Result<(), String> {
    match c.floats.len() {
        1 => bias.iter_mut().for_each(|b| *b += beta * c.floats[0]),
        n if n == bias.len() => bias
            .iter_mut()
            .zip(&c.floats)
            .for_each(|(b, v)| *b += beta * v),
        n => return Err(format!("a bias of {n} values for {} outputs", bias.len())),
    }
    Ok(())
}
