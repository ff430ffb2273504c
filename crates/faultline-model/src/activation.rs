//! Activation functions, their names in the model file, and their CPU reference.

use std::fmt;
use std::str::FromStr;

use crate::ModelError;

/// An element-wise (or, for softmax, per-layer) activation applied after a linear layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `f(x) = x`.
    Identity,
    /// `f(x) = 1 / (1 + e^-x)`.
    Sigmoid,
    /// `f(x) = tanh(x)`.
    Tanh,
    /// `f(x) = max(x, 0)`.
    Relu,
    /// `f(x) = x` for `x > 0`, else `slope · x` (PyTorch's default slope is 0.01).
    LeakyRelu(Slope),
    /// `f(x)_i = e^x_i / sum_j e^x_j`; allowed on the last layer only.
    Softmax,
}

/// The slope of a leaky relu for negative inputs, held as the `f32` every kernel multiplies
/// by (so the reference, the CPU kernels and the shaders agree on the same number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slope(u32);

impl Slope {
    /// PyTorch's and Keras' default, 0.01: `leaky_relu` without a slope means this one.
    pub const DEFAULT: Slope = Slope(0.01f32.to_bits());

    /// A slope: finite, not negative and at most 1 (so the activation stays monotonic).
    pub fn new(value: f64) -> Result<Slope, ModelError> {
        if !(0.0..=1.0).contains(&value) {
            return Err(ModelError::Metadata(format!(
                "leaky_relu slope {value} is not between 0 and 1"
            )));
        }
        Ok(Slope((value as f32).to_bits()))
    }

    /// The slope as the kernels use it.
    pub fn get(self) -> f32 {
        f32::from_bits(self.0)
    }
}

impl Default for Slope {
    fn default() -> Slope {
        Slope::DEFAULT
    }
}

impl Activation {
    /// Every activation, in the order the docs list them.
    /// Every activation, in the order the docs list them (leaky relu with its default slope).
    pub const ALL: [Activation; 6] = [
        Activation::Identity,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu(Slope::DEFAULT),
        Activation::Softmax,
    ];

    /// The activation's kind, without a leaky relu's slope: `leaky_relu` for any slope.
    pub fn kind(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu(_) => "leaky_relu",
            Activation::Softmax => "softmax",
        }
    }

    /// The name used in the model file's `activations` metadata: the kind, and for a leaky
    /// relu whose slope is not the default the slope in parentheses (`leaky_relu(0.2)`).
    pub fn name(self) -> String {
        match self {
            Activation::LeakyRelu(slope) if slope != Slope::DEFAULT => {
                format!("leaky_relu({})", slope.get())
            }
            other => other.kind().to_string(),
        }
    }

    /// Applies the activation in place to one layer's outputs.
    pub fn apply<T: Real>(self, values: &mut [T]) {
        match self {
            Activation::Identity => {}
            Activation::Sigmoid => values
                .iter_mut()
                .for_each(|v| *v = T::one() / (T::one() + (-*v).exp())),
            Activation::Tanh => values.iter_mut().for_each(|v| *v = v.tanh()),
            Activation::Relu => values
                .iter_mut()
                .for_each(|v| *v = if *v > T::zero() { *v } else { T::zero() }),
            Activation::LeakyRelu(slope) => {
                let slope = T::from_f32(slope.get());
                values
                    .iter_mut()
                    .for_each(|v| *v = if *v > T::zero() { *v } else { *v * slope })
            }
            Activation::Softmax => {
                let max = values.iter().copied().fold(T::neg_infinity(), T::max);
                let mut sum = T::zero();
                for v in values.iter_mut() {
                    *v = (*v - max).exp();
                    sum = sum + *v;
                }
                values.iter_mut().for_each(|v| *v = *v / sum);
            }
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Activation {
    type Err = ModelError;

    /// Our names, any case, and other tools' spellings: `logistic` (scikit-learn),
    /// `ReLU`, `LeakyReLU`, `Sigmoid`, `Tanh`, `Softmax` (PyTorch), `linear` (Keras). A
    /// leaky relu takes its slope in parentheses: `leaky_relu(0.2)`, `LeakyReLU(0.2)`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        let (kind, slope) = match lower.split_once('(') {
            Some((kind, rest)) => {
                let value = rest.strip_suffix(')').map(str::trim).and_then(|v| {
                    let v = v.strip_prefix("negative_slope=").unwrap_or(v);
                    v.parse::<f64>().ok()
                });
                let value = value.ok_or_else(|| {
                    ModelError::Metadata(format!(
                        "activation '{s}': expected a slope in parentheses, like leaky_relu(0.2)"
                    ))
                })?;
                (kind.trim(), Some(value))
            }
            None => (lower.as_str(), None),
        };
        let alias = match kind {
            "logistic" => Some(Activation::Sigmoid),
            "linear" | "none" => Some(Activation::Identity),
            "leakyrelu" | "leaky-relu" => Some(Activation::LeakyRelu(Slope::DEFAULT)),
            _ => None,
        };
        let found = alias
            .or_else(|| Activation::ALL.into_iter().find(|a| a.kind() == kind))
            .ok_or_else(|| {
                let known: Vec<&str> = Activation::ALL.iter().map(|a| a.kind()).collect();
                ModelError::Metadata(format!(
                    "unknown activation '{s}' (expected one of {}, or leaky_relu(SLOPE))",
                    known.join(", ")
                ))
            })?;
        match (found, slope) {
            (_, None) => Ok(found),
            (Activation::LeakyRelu(_), Some(value)) => {
                Ok(Activation::LeakyRelu(Slope::new(value)?))
            }
            (other, Some(_)) => Err(ModelError::Metadata(format!(
                "activation '{s}': only leaky_relu takes a slope, not {}",
                other.kind()
            ))),
        }
    }
}

/// The floating-point operations the reference evaluator needs, for `f32` and `f64`.
pub trait Real:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    /// 0.
    fn zero() -> Self;
    /// 1.
    fn one() -> Self;
    /// Negative infinity.
    fn neg_infinity() -> Self;
    /// Conversion from `f64` (rounding for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Conversion from `f32` (exact).
    fn from_f32(v: f32) -> Self;
    /// `e^self`.
    fn exp(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// The larger of two values.
    fn max(self, other: Self) -> Self;
}

macro_rules! impl_real {
    ($t:ty) => {
        impl Real for $t {
            fn zero() -> Self {
                0.0
            }
            fn one() -> Self {
                1.0
            }
            fn neg_infinity() -> Self {
                <$t>::NEG_INFINITY
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn from_f32(v: f32) -> Self {
                v as $t
            }
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
        }
    };
}
impl_real!(f32);
impl_real!(f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_tools_spellings_are_accepted() {
        for (name, a) in [
            ("logistic", Activation::Sigmoid),
            ("ReLU", Activation::Relu),
            ("Sigmoid", Activation::Sigmoid),
            ("Tanh", Activation::Tanh),
            ("linear", Activation::Identity),
            ("LeakyReLU", Activation::LeakyRelu(Slope::DEFAULT)),
            ("leaky_relu(0.01)", Activation::LeakyRelu(Slope::DEFAULT)),
            (
                "LeakyReLU(negative_slope=0.2)",
                Activation::LeakyRelu(Slope::new(0.2).unwrap()),
            ),
            ("Softmax", Activation::Softmax),
        ] {
            assert_eq!(name.parse::<Activation>().unwrap(), a, "{name}");
        }
        assert!("gelu".parse::<Activation>().is_err());
        assert!("leaky_relu(-1)".parse::<Activation>().is_err());
        assert!("leaky_relu(nan)".parse::<Activation>().is_err());
        assert!("leaky_relu(0.2".parse::<Activation>().is_err());
        assert!("relu(0.2)".parse::<Activation>().is_err());
    }

    #[test]
    fn names_round_trip() {
        let steep = Activation::LeakyRelu(Slope::new(0.3).unwrap());
        for a in Activation::ALL.into_iter().chain([steep]) {
            assert_eq!(a.name().parse::<Activation>().unwrap(), a);
        }
        assert_eq!(steep.name(), "leaky_relu(0.3)");
        assert!("swish".parse::<Activation>().is_err());
    }

    #[test]
    fn values_match_closed_forms() {
        let mut v = [-2.0f64, 0.0, 3.0];
        Activation::Sigmoid.apply(&mut v);
        assert!((v[0] - 1.0 / (1.0 + 2f64.exp())).abs() < 1e-15);
        assert_eq!(v[1], 0.5);
        let mut v = [-2.0f64, 3.0];
        Activation::LeakyRelu(Slope::DEFAULT).apply(&mut v);
        assert_eq!(v, [-2.0 * f64::from(0.01f32), 3.0]);
        let mut v = [-2.0f64, 3.0];
        Activation::LeakyRelu(Slope::new(0.25).unwrap()).apply(&mut v);
        assert_eq!(v, [-0.5, 3.0]);
        let mut v = [-2.0f64, 3.0];
        Activation::Relu.apply(&mut v);
        assert_eq!(v, [0.0, 3.0]);
        let mut v = [1000.0f64, 1000.0, 0.0];
        Activation::Softmax.apply(&mut v);
        assert!((v[0] - 0.5).abs() < 1e-12 && v[2] >= 0.0 && v[2] < 1e-300);
    }
}
