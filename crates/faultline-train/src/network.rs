//! The burn MLP that is trained, and its conversion to a [`faultline_model::Mlp`].

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData, activation};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use faultline_model::{Activation, Layer};

/// A stack of linear layers. Activations live beside it in [`Network::activations`]
/// because they are plain configuration, not parameters.
#[derive(Module, Debug)]
pub struct Layers {
    /// The linear layers, first to last; burn stores each weight as `[in, out]`.
    pub linear: Vec<Linear>,
}

/// A trainable MLP: the burn layers and one activation per layer.
#[derive(Debug)]
pub struct Network {
    /// The parameters.
    pub layers: Layers,
    /// One activation per layer, the last applied to the outputs.
    pub activations: Vec<Activation>,
}

impl Network {
    /// A network with the given widths (`[inputs, hidden.., outputs]`), initialised like
    /// PyTorch's `nn.Linear` (uniform in `+-1/sqrt(in)`) from `rng`, so a seed fixes it.
    pub fn init(
        widths: &[usize],
        activations: Vec<Activation>,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Network {
        let linear = widths
            .windows(2)
            .map(|w| {
                let (inputs, outputs) = (w[0], w[1]);
                let bound = 1.0 / (inputs as f32).sqrt();
                let mut draw = |n: usize| -> Vec<f32> {
                    (0..n).map(|_| rng.random_range(-bound..bound)).collect()
                };
                let weight = draw(inputs * outputs);
                let bias = draw(outputs);
                Linear {
                    weight: Param::from_tensor(Tensor::from_data(
                        TensorData::new(weight, [inputs, outputs]),
                        device,
                    )),
                    bias: Some(Param::from_tensor(Tensor::from_data(
                        TensorData::new(bias, [outputs]),
                        device,
                    ))),
                }
            })
            .collect();
        Network {
            layers: Layers { linear },
            activations,
        }
    }

    /// The outputs before the last activation (logits), `[batch, outputs]`.
    pub fn logits(layers: &Layers, activations: &[Activation], x: Tensor<2>) -> Tensor<2> {
        let last = layers.linear.len() - 1;
        let mut h = x;
        for (k, layer) in layers.linear.iter().enumerate() {
            h = layer.forward(h);
            if k < last {
                h = apply(activations[k], h);
            }
        }
        h
    }

    /// Converts to model layers in PyTorch's `[out, in]` layout, folding the input
    /// normalisation `x' = (x - mean) / scale` into the first layer so the result takes raw
    /// inputs: `W' = W / scale`, `b' = b - W' mean`.
    pub fn export_layers(&self, mean: &[f32], scale: &[f32]) -> Vec<Layer> {
        self.layers
            .linear
            .iter()
            .zip(&self.activations)
            .enumerate()
            .map(|(k, (linear, &activation))| {
                let [inputs, outputs] = linear.weight.val().dims();
                let w_in_out = to_vec(linear.weight.val().into_data());
                let mut bias = linear
                    .bias
                    .as_ref()
                    .map(|b| to_vec(b.val().into_data()))
                    .unwrap_or_else(|| vec![0.0; outputs]);
                // Transpose [in, out] (burn) to [out, in] (PyTorch), in f64 for the fold.
                let mut weight = vec![0.0f32; inputs * outputs];
                for o in 0..outputs {
                    let mut shift = 0.0f64;
                    for i in 0..inputs {
                        let mut w = f64::from(w_in_out[i * outputs + o]);
                        if k == 0 {
                            w /= f64::from(scale[i]);
                            shift += w * f64::from(mean[i]);
                        }
                        weight[o * inputs + i] = w as f32;
                    }
                    bias[o] = (f64::from(bias[o]) - shift) as f32;
                }
                Layer {
                    inputs,
                    outputs,
                    weight,
                    bias,
                    activation,
                }
            })
            .collect()
    }
}

fn to_vec(data: TensorData) -> Vec<f32> {
    data.try_to_vec::<f32>().expect("float tensors hold f32")
}

/// Applies an activation to a batch `[batch, width]`.
pub fn apply(activation: Activation, x: Tensor<2>) -> Tensor<2> {
    match activation {
        Activation::Identity => x,
        Activation::Sigmoid => activation::sigmoid(x),
        Activation::Tanh => activation::tanh(x),
        Activation::Relu => activation::relu(x),
        Activation::LeakyRelu(slope) => activation::leaky_relu(x, f64::from(slope.get())),
        Activation::Softmax => activation::softmax(x, 1),
    }
}
