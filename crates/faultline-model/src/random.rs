//! Seeded pseudo-random networks for tests and benchmarks (no `rand` dependency: the
//! generator is a plain xorshift, so the same seed gives the same net everywhere).

use crate::{Activation, Layer, Mlp, ModelMetadata, Slope};

/// An MLP with the given widths (`[inputs, hidden.., outputs]`), `hidden` activations on
/// the hidden layers and `output` on the last, weights uniform in `+-scale / sqrt(in)` and
/// biases in `+-scale / 2`.
pub fn random_mlp(
    widths: &[usize],
    hidden: Activation,
    output: Activation,
    seed: u64,
    scale: f32,
) -> Mlp {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let layers = widths
        .windows(2)
        .enumerate()
        .map(|(k, w)| {
            let bound = scale / (w[0] as f32).sqrt();
            Layer {
                inputs: w[0],
                outputs: w[1],
                weight: (0..w[0] * w[1]).map(|_| next() * bound).collect(),
                bias: (0..w[1]).map(|_| next() * scale * 0.5).collect(),
                activation: if k + 2 == widths.len() {
                    output
                } else {
                    hidden
                },
            }
        })
        .collect();
    Mlp::new(layers, ModelMetadata::default()).expect("random nets are valid")
}

/// The suite of nets every fast path is checked against the reference with: five shapes
/// (including C = 1 and C = 11) times every hidden activation (leaky relu at slopes 0.01
/// and 0.2), with the output activation
/// rotating through all six, seeded.
pub fn test_suite() -> Vec<Mlp> {
    let hidden = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu(Slope::DEFAULT),
        Activation::Identity,
        Activation::LeakyRelu(Slope::new(0.2).expect("0.2 is a slope")),
    ];
    let shapes: [&[usize]; 5] = [
        &[2, 3, 3],
        &[2, 5, 4, 3],
        &[2, 8, 8, 11],
        &[2, 6, 2],
        &[2, 4, 1],
    ];
    let mut nets = Vec::new();
    for (s, shape) in shapes.iter().enumerate() {
        for (a, &h) in hidden.iter().enumerate() {
            let output = Activation::ALL[(s + a) % Activation::ALL.len()];
            nets.push(random_mlp(shape, h, output, (s * 10 + a) as u64, 1.5));
        }
    }
    nets
}
