//! The multi-layer perceptron and its CPU reference forward pass.

use crate::activation::Real;
use crate::{Activation, Domain, ModelError, ModelMetadata};

/// The widest layer a model file may declare.
pub const MAX_WIDTH: usize = 1 << 16;
/// The most parameters (weights and biases) a model may hold.
pub const MAX_PARAMETERS: usize = 1 << 26;
/// The most layers a model may have.
pub const MAX_LAYERS: usize = 256;

/// One fully connected layer: `y = activation(W x + b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Number of inputs (`in`).
    pub inputs: usize,
    /// Number of outputs (`out`).
    pub outputs: usize,
    /// Weights in PyTorch's `nn.Linear` layout: `[out, in]`, row-major.
    pub weight: Vec<f32>,
    /// Biases, `[out]`.
    pub bias: Vec<f32>,
    /// Applied to this layer's outputs.
    pub activation: Activation,
}

impl Layer {
    /// The weight from input `i` to output `o`.
    pub fn w(&self, o: usize, i: usize) -> f32 {
        self.weight[o * self.inputs + i]
    }
}

/// A validated MLP: layers chain, sizes are sane, every value is finite, softmax only last.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    layers: Vec<Layer>,
    /// Descriptive metadata (domain, class and input names, training record).
    pub metadata: ModelMetadata,
    /// Weights during training (`train --snapshot-every`), by epoch: the same layer shapes
    /// and activations as the final ones. Empty for most models.
    pub snapshots: Vec<(usize, Vec<Layer>)>,
}

impl Mlp {
    /// Validates the layers and metadata and builds the model.
    pub fn new(layers: Vec<Layer>, metadata: ModelMetadata) -> Result<Self, ModelError> {
        let invalid = |m: String| Err(ModelError::Invalid(m));
        if layers.is_empty() {
            return invalid("the network has no layers".into());
        }
        if layers.len() > MAX_LAYERS {
            return invalid(format!("{} layers is more than {MAX_LAYERS}", layers.len()));
        }
        let mut parameters = 0usize;
        for (k, layer) in layers.iter().enumerate() {
            if layer.inputs == 0 || layer.outputs == 0 {
                return invalid(format!(
                    "layer {k} has zero width ([out, in] = [{}, {}])",
                    layer.outputs, layer.inputs
                ));
            }
            if layer.inputs > MAX_WIDTH || layer.outputs > MAX_WIDTH {
                return invalid(format!(
                    "layer {k} is [{}, {}], wider than {MAX_WIDTH}",
                    layer.outputs, layer.inputs
                ));
            }
            if layer.weight.len() != layer.inputs * layer.outputs {
                return invalid(format!(
                    "layer {k} weight holds {} values, expected {} x {}",
                    layer.weight.len(),
                    layer.outputs,
                    layer.inputs
                ));
            }
            if layer.bias.len() != layer.outputs {
                return invalid(format!(
                    "layer {k} bias holds {} values, expected {}",
                    layer.bias.len(),
                    layer.outputs
                ));
            }
            if k > 0 && layers[k - 1].outputs != layer.inputs {
                return invalid(format!(
                    "shapes don't chain: layer {} has {} outputs but layer {k} takes {} inputs",
                    k - 1,
                    layers[k - 1].outputs,
                    layer.inputs
                ));
            }
            if layer.activation == Activation::Softmax && k + 1 != layers.len() {
                return invalid(format!(
                    "softmax is allowed on the last layer only, found on layer {k}"
                ));
            }
            for (what, values) in [("weight", &layer.weight), ("bias", &layer.bias)] {
                if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                    return invalid(format!(
                        "layers.{k}.{what} holds a non-finite value ({}) at flat index {i}",
                        values[i]
                    ));
                }
            }
            parameters += layer.weight.len() + layer.bias.len();
            if parameters > MAX_PARAMETERS {
                return invalid(format!("more than {MAX_PARAMETERS} parameters"));
            }
        }
        let mlp = Mlp {
            layers,
            metadata,
            snapshots: Vec::new(),
        };
        mlp.metadata.check_against(mlp.inputs(), mlp.outputs())?;
        Ok(mlp)
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Number of inputs of the first layer.
    pub fn inputs(&self) -> usize {
        self.layers[0].inputs
    }

    /// Number of outputs of the last layer (the classes, C).
    pub fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs
    }

    /// Widths from input to output, e.g. `[2, 3, 3]`.
    pub fn widths(&self) -> Vec<usize> {
        std::iter::once(self.inputs())
            .chain(self.layers.iter().map(|l| l.outputs))
            .collect()
    }

    /// The architecture as `2-3-3`.
    pub fn architecture(&self) -> String {
        let w: Vec<String> = self.widths().iter().map(usize::to_string).collect();
        w.join("-")
    }

    /// Number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.len() + l.bias.len())
            .sum()
    }

    /// The number of classes: the outputs, or 2 for a one-output (binary) classifier.
    pub fn classes(&self) -> usize {
        crate::arrays::class_count(self.outputs())
    }

    /// The score a one-output (binary) classifier's output is compared with: the output
    /// activation at 0 (0.5 after a sigmoid, 0 after identity, tanh, relu or leaky_relu).
    /// Class 1 is where the output is above it (see [`crate::arrays::class_of`]).
    pub fn threshold(&self) -> f32 {
        let mut zero = [0.0f64];
        self.layers[self.layers.len() - 1]
            .activation
            .apply(&mut zero);
        zero[0] as f32
    }

    /// Neuron `j` of layer `layer` as a network of its own: the layers before it and that
    /// neuron alone, its activation applied. One output, so every tool shows it as a
    /// binary classifier: `on` where its output is above its activation at 0 (0 for relu,
    /// 0.5 for a sigmoid), `off` elsewhere. A softmax layer's outputs are not separate
    /// neurons and are refused.
    pub fn neuron(&self, layer: usize, j: usize) -> Result<Mlp, ModelError> {
        let Some(l) = self.layers.get(layer) else {
            return Err(ModelError::Invalid(format!(
                "no layer {layer}: the network has layers 0..{}",
                self.layers.len() - 1
            )));
        };
        if j >= l.outputs {
            return Err(ModelError::Invalid(format!(
                "no neuron {j} in layer {layer}: it has neurons 0..{}",
                l.outputs - 1
            )));
        }
        if l.activation == Activation::Softmax {
            return Err(ModelError::Invalid(format!(
                "layer {layer} is a softmax: its outputs are the classes (show one with class:{j})"
            )));
        }
        let mut layers = self.layers[..layer].to_vec();
        layers.push(Layer {
            inputs: l.inputs,
            outputs: 1,
            weight: l.weight[j * l.inputs..(j + 1) * l.inputs].to_vec(),
            bias: vec![l.bias[j]],
            activation: l.activation,
        });
        let metadata = ModelMetadata {
            classes: Some(vec!["off".into(), "on".into()]),
            training: None,
            ..self.metadata.clone()
        };
        Mlp::new(layers, metadata)
    }

    /// The model as it was at `epoch` of its training (a snapshot's weights, the same
    /// metadata); an epoch it holds no snapshot of is an error listing those it has.
    pub fn at_epoch(&self, epoch: usize) -> Result<Mlp, ModelError> {
        let Some((_, layers)) = self.snapshots.iter().find(|(e, _)| *e == epoch) else {
            let have: Vec<String> = self.snapshots.iter().map(|(e, _)| e.to_string()).collect();
            return Err(ModelError::Invalid(if have.is_empty() {
                format!(
                    "no snapshot of epoch {epoch}: the file holds none (train with --snapshot-every K)"
                )
            } else {
                format!(
                    "no snapshot of epoch {epoch}; the file has epochs {}",
                    have.join(", ")
                )
            }));
        };
        Mlp::new(layers.clone(), self.metadata.clone())
    }

    /// The model between two snapshots: at `epoch` (clamped to the first and last
    /// snapshot's), every weight and bias interpolated linearly between the snapshots
    /// before and after it (exactly a snapshot's at its epoch). The same metadata; no
    /// snapshots of its own. An error for a model without snapshots.
    pub fn between_snapshots(&self, epoch: f64) -> Result<Mlp, ModelError> {
        let (Some(first), Some(last)) = (self.snapshots.first(), self.snapshots.last()) else {
            return Err(ModelError::Invalid(
                "the file holds no training snapshots (train with --snapshot-every K)".into(),
            ));
        };
        let epoch = epoch.clamp(first.0 as f64, last.0 as f64);
        let after = self
            .snapshots
            .iter()
            .position(|(e, _)| *e as f64 >= epoch)
            .unwrap_or(self.snapshots.len() - 1);
        let before = after.saturating_sub(1);
        let ((e0, a), (e1, b)) = (&self.snapshots[before], &self.snapshots[after]);
        let t = if e1 > e0 {
            ((epoch - *e0 as f64) / (*e1 - *e0) as f64) as f32
        } else {
            1.0
        };
        let mix = |x: &[f32], y: &[f32]| -> Vec<f32> {
            x.iter()
                .zip(y)
                .map(|(x, y)| if t >= 1.0 { *y } else { x + t * (y - x) })
                .collect()
        };
        let layers = a
            .iter()
            .zip(b)
            .map(|(la, lb)| Layer {
                weight: mix(&la.weight, &lb.weight),
                bias: mix(&la.bias, &lb.bias),
                ..lb.clone()
            })
            .collect();
        Mlp::new(layers, self.metadata.clone())
    }

    /// The class names from the metadata, or `class 0`, `class 1`, ... (two for a
    /// one-output classifier).
    pub fn class_names(&self) -> Vec<String> {
        self.metadata
            .classes
            .clone()
            .unwrap_or_else(|| (0..self.classes()).map(|k| format!("class {k}")).collect())
    }

    /// The input names from the metadata, or `x0`, `x1`, ... .
    pub fn input_names(&self) -> Vec<String> {
        self.metadata
            .inputs
            .clone()
            .unwrap_or_else(|| (0..self.inputs()).map(|k| format!("x{k}")).collect())
    }

    /// Evaluates the network in `f64` (weights widened exactly): the reference.
    pub fn forward_f64(&self, input: &[f64]) -> Vec<f64> {
        self.forward(input)
    }

    /// An upper bound, over every point of `domain`, on the magnitude of every sum the
    /// forward pass forms (each layer's pre-activations and their partial sums), by
    /// interval arithmetic in `f64`. Below `f32::MAX` no engine can overflow on the
    /// domain; above it some may (the bound is not tight, so it only warrants a warning).
    pub fn magnitude_bound(&self, domain: &Domain) -> f64 {
        let mut ranges: Vec<[f64; 2]> = vec![domain.x, domain.y];
        ranges.truncate(self.inputs());
        ranges.resize(self.inputs(), [0.0, 0.0]);
        let mut worst = 0.0f64;
        for layer in &self.layers {
            let magnitudes: Vec<f64> = ranges
                .iter()
                .map(|[lo, hi]| lo.abs().max(hi.abs()))
                .collect();
            let mut next = Vec::with_capacity(layer.outputs);
            for o in 0..layer.outputs {
                let row = &layer.weight[o * layer.inputs..(o + 1) * layer.inputs];
                let bias = f64::from(layer.bias[o]);
                let (mut lo, mut hi, mut size) = (bias, bias, bias.abs());
                for ((&w, [a, b]), m) in row.iter().zip(&ranges).zip(&magnitudes) {
                    let w = f64::from(w);
                    lo += (w * a).min(w * b);
                    hi += (w * a).max(w * b);
                    size += w.abs() * m;
                }
                worst = worst.max(size);
                next.push([lo, hi]);
            }
            ranges = match layer.activation {
                Activation::Softmax | Activation::Sigmoid => vec![[0.0, 1.0]; layer.outputs],
                Activation::Tanh => vec![[-1.0, 1.0]; layer.outputs],
                elementwise => next
                    .into_iter()
                    .map(|[lo, hi]| {
                        let mut v = [lo, hi];
                        elementwise.apply(&mut v);
                        v
                    })
                    .collect(),
            };
        }
        worst
    }

    /// Evaluates the network in `f32`, the precision a GPU uses.
    pub fn forward_f32(&self, input: &[f32]) -> Vec<f32> {
        self.forward(input)
    }

    /// The forward pass in any [`Real`] precision.
    ///
    /// # Panics
    /// If `input.len()` differs from [`Mlp::inputs`].
    pub fn forward<T: Real>(&self, input: &[T]) -> Vec<T> {
        assert_eq!(input.len(), self.inputs(), "input length");
        let mut current = input.to_vec();
        for layer in &self.layers {
            let mut next: Vec<T> = (0..layer.outputs)
                .map(|o| {
                    let row = &layer.weight[o * layer.inputs..(o + 1) * layer.inputs];
                    row.iter()
                        .zip(&current)
                        .fold(T::from_f32(layer.bias[o]), |acc, (&w, &x)| {
                            acc + T::from_f32(w) * x
                        })
                })
                .collect();
            layer.activation.apply(&mut next);
            current = next;
        }
        current
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A single layer `z = activation(W x + b)` with the given `[out, in]` weights.
    pub(crate) fn linear(weight: &[&[f32]], bias: &[f32], activation: Activation) -> Mlp {
        let layer = Layer {
            inputs: weight[0].len(),
            outputs: weight.len(),
            weight: weight.iter().flat_map(|r| r.iter().copied()).collect(),
            bias: bias.to_vec(),
            activation,
        };
        Mlp::new(vec![layer], ModelMetadata::default()).unwrap()
    }

    #[test]
    fn between_snapshots_interpolates_the_weights() {
        let mut m = linear(&[&[1.0, 2.0]], &[0.0], Activation::Identity);
        let at = |w: [f32; 2], b: f32| linear(&[&w], &[b], Activation::Identity).layers;
        m.snapshots = vec![
            (0, at([0.0, 4.0], 1.0)),
            (10, at([2.0, 0.0], -1.0)),
            (15, at([1.0, 2.0], 0.0)),
        ];
        let layer = |e: f64| m.between_snapshots(e).unwrap().layers[0].clone();
        assert_eq!(layer(0.0).weight, [0.0, 4.0]);
        assert_eq!(layer(2.5).weight, [0.5, 3.0]);
        assert_eq!(layer(2.5).bias, [0.5]);
        assert_eq!(
            layer(10.0).weight,
            [2.0, 0.0],
            "exactly a snapshot at its epoch"
        );
        assert_eq!(layer(12.5).weight, [1.5, 1.0]);
        assert_eq!(layer(99.0).weight, [1.0, 2.0], "clamped to the last");
        assert_eq!(layer(-5.0).weight, [0.0, 4.0], "clamped to the first");
        m.snapshots.clear();
        assert!(m.between_snapshots(1.0).is_err());
    }

    #[test]
    fn forward_matches_hand_computation() {
        // z0 = sigmoid(x + 2y - 1), z1 = sigmoid(-x)
        let m = linear(
            &[&[1.0, 2.0], &[-1.0, 0.0]],
            &[-1.0, 0.0],
            Activation::Sigmoid,
        );
        let z = m.forward_f64(&[0.5, 0.25]);
        let s = |v: f64| 1.0 / (1.0 + (-v).exp());
        assert!((z[0] - s(0.0)).abs() < 1e-15);
        assert!((z[1] - s(-0.5)).abs() < 1e-15);
        let z32 = m.forward_f32(&[0.5, 0.25]);
        assert!((z32[1] as f64 - s(-0.5)).abs() < 1e-7);
        assert_eq!(m.architecture(), "2-2");
        assert_eq!(m.parameter_count(), 6);
    }

    #[test]
    fn rejects_bad_layers() {
        let ok = |i: usize, o: usize, a| Layer {
            inputs: i,
            outputs: o,
            weight: vec![0.1; i * o],
            bias: vec![0.0; o],
            activation: a,
        };
        let err = |layers: Vec<Layer>| {
            Mlp::new(layers, ModelMetadata::default())
                .unwrap_err()
                .to_string()
        };
        assert!(err(vec![]).contains("no layers"));
        assert!(
            err(vec![ok(2, 3, Activation::Relu), ok(4, 2, Activation::Relu)])
                .contains("don't chain")
        );
        assert!(
            err(vec![
                ok(2, 3, Activation::Softmax),
                ok(3, 2, Activation::Relu)
            ])
            .contains("softmax")
        );
        assert!(err(vec![ok(2, 0, Activation::Relu)]).contains("zero width"));
        let mut nan = ok(2, 2, Activation::Relu);
        nan.bias[1] = f32::NAN;
        assert!(err(vec![nan]).contains("non-finite"));
    }

    #[test]
    fn the_magnitude_bound_covers_every_sum() {
        // z = 1e30 x + 1e30 y - 5 on [-2, 3]^2: |z| <= 6e30 + 5, every partial sum too.
        let m = linear(&[&[1e30, 1e30]], &[-5.0], Activation::Identity);
        let d = Domain::new([-2.0, 3.0], [-2.0, 3.0]).unwrap();
        let bound = m.magnitude_bound(&d);
        assert!((6e30..6.01e30).contains(&bound), "{bound}");
        let wide = Domain::new([-1e9, 1e9], [0.0, 1.0]).unwrap();
        assert!(m.magnitude_bound(&wide) > f64::from(f32::MAX));
        // A tanh layer bounds what follows it, whatever the domain.
        let deep = Mlp::new(
            vec![
                Layer {
                    inputs: 2,
                    outputs: 1,
                    weight: vec![1e30, 1e30],
                    bias: vec![0.0],
                    activation: Activation::Tanh,
                },
                Layer {
                    inputs: 1,
                    outputs: 1,
                    weight: vec![2.0],
                    bias: vec![1.0],
                    activation: Activation::Identity,
                },
            ],
            ModelMetadata::default(),
        )
        .unwrap();
        assert!(deep.magnitude_bound(&wide) > f64::from(f32::MAX));
        assert!((deep.magnitude_bound(&d) - 6e30).abs() < 1e25);
    }
}
