//! The walk over an ONNX graph's nodes, in their topological order from its one input:
//! what each tensor is as far as the chain of dense layers goes ([`Sym`]). One pass, no
//! recursion: a node whose input is not yet known (a cycle) is not on the chain.

use std::collections::HashMap;

use faultline_model::{Activation, Layer, ModelError, Slope};

use super::constants::{add_bias, casts_to_float, elementwise, floats_attr, transpose};
use super::messages::{Node, Tensor};

/// A per-feature affine map `x * scale + shift` (empty: the identity, width unknown).
#[derive(Debug, Clone, Default)]
pub(super) struct Affine {
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
pub(super) struct Pending {
    inputs: usize,
    outputs: usize,
    weight: Vec<f64>,
    bias: Vec<f64>,
}

impl Pending {
    /// The layer with `activation`, in f32.
    pub(super) fn layer(&self, activation: Activation) -> Layer {
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
pub(super) enum Sym {
    /// The graph input after per-feature affine preprocessing.
    Input(Affine),
    /// The pre-activation of a layer after `layers`.
    Linear(Vec<Layer>, Pending),
    /// Activations after `layers`; `true` once read from the binary `[1 - p, p]`.
    Scores(Vec<Layer>, bool),
    /// `1 - p` of a one-output sigmoid after `layers` (half of the binary pattern).
    OneMinus(Vec<Layer>),
}

pub(super) struct Walk {
    /// What each tensor on the chain is.
    pub(super) syms: HashMap<String, Sym>,
    /// Initializers and Constant outputs.
    pub(super) consts: HashMap<String, Tensor>,
    /// Class labels found in the label post-processing.
    pub(super) classes: Option<Vec<String>>,
    /// The preprocessing ops folded into the first layer.
    pub(super) folded: Vec<String>,
    /// The tensor that last received scores.
    pub(super) last_scores: Option<String>,
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
    /// Follows one node: what its output is, or why it is refused.
    pub(super) fn node(&mut self, n: &Node) -> Result<(), ModelError> {
        let on_chain: Vec<(usize, Sym)> = n
            .inputs
            .iter()
            .enumerate()
            .filter_map(|(i, name)| self.syms.get(name).map(|s| (i, s.clone())))
            .collect();
        self.read_labels(n);
        if n.op == "Constant" {
            if let (Some(t), Some(out)) = (
                n.attributes.iter().find_map(|a| a.t.clone()),
                n.outputs.first(),
            ) {
                self.consts.insert(out.clone(), t);
            }
            return Ok(());
        }
        if on_chain.is_empty() {
            // Constant folding and label post-processing: nothing the scores depend on.
            self.fold_constant(n);
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
                if w.floats.len() != rows * cols {
                    return Err(refuse(&format!(
                        "weights '{}' of shape {:?} hold no {} float numbers",
                        w.name,
                        w.dims,
                        rows * cols
                    )));
                }
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
                // transA = 1 on the graph's own input: the samples are its columns; the
                // layer is the same. Anywhere else the batch would be transposed.
                if gemm && int("transA") != 0 && !matches!(&s, Sym::Input(a) if a.scale.is_empty())
                {
                    return Err(refuse(
                        "transA = 1 on anything but the graph's raw input is not a dense layer",
                    ));
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
                        let slope =
                            Slope::new(f64::from(alpha)).map_err(|e| refuse(&e.to_string()))?;
                        Activation::LeakyRelu(slope)
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

    /// Records the output of an op whose inputs are all constants, for the ops exporters
    /// write around weights: `Transpose` (2-D), `Identity`, `Cast` to a float type,
    /// `Reshape` to explicit 2-D dims, `Neg`, and
    /// `Mul`/`Add`/`Sub`/`Div` of equal shapes or by a scalar. Other ops are left alone
    /// (what they compute is refused later if the chain needs it).
    fn fold_constant(&mut self, n: &Node) {
        let Some(out) = n.outputs.first() else {
            return;
        };
        let args: Option<Vec<&Tensor>> = n
            .inputs
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| self.consts.get(s))
            .collect();
        let Some(args) = args else {
            return;
        };
        let folded = match (n.op.as_str(), &args[..]) {
            ("Identity", [t]) => Some((*t).clone()),
            ("Cast", [t]) if casts_to_float(n) => Some((*t).clone()),
            ("Neg", [t]) => Some(Tensor {
                floats: t.floats.iter().map(|v| -v).collect(),
                ..(*t).clone()
            }),
            ("Transpose", [t]) => transpose(t, n),
            ("Reshape", [t, shape]) => {
                // A weight reshaped to explicit 2-D dims keeps its numbers.
                let dims: Vec<u64> = shape.ints.iter().map(|&d| d.max(0) as u64).collect();
                (dims.len() == 2 && dims.iter().product::<u64>() == t.floats.len() as u64).then(
                    || Tensor {
                        dims,
                        ..(*t).clone()
                    },
                )
            }
            (op @ ("Mul" | "Add" | "Sub" | "Div"), [a, b]) => elementwise(op, a, b),
            _ => None,
        };
        if let Some(mut t) = folded {
            t.name = out.clone();
            self.consts.insert(out.clone(), t);
        }
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
