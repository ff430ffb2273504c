//! Grid evaluation through burn's ndarray backend: the framework baseline of
//! `faultline bench` (`cpu-burn`). Layer by layer, as a framework runs a network.

use burn::tensor::{Device, Tensor, TensorData};

use crate::network::apply;
use faultline_model::{GridSpec, Mlp};

/// Points per batch: bounds memory on large grids.
const BATCH: usize = 1 << 18;

/// A model's layers as burn tensors on the ndarray device.
pub struct BurnModel {
    device: Device,
    layers: Vec<(Tensor<2>, Tensor<2>, faultline_model::Activation)>,
    channels: usize,
}

impl BurnModel {
    /// Uploads `mlp`'s weights (transposed to burn's `[in, out]`).
    pub fn new(mlp: &Mlp) -> BurnModel {
        #[allow(deprecated)] // burn-ndarray is the backend measured on these machines
        let device = Device::ndarray();
        let layers = mlp
            .layers()
            .iter()
            .map(|l| {
                let mut w = vec![0.0f32; l.inputs * l.outputs];
                for o in 0..l.outputs {
                    for i in 0..l.inputs {
                        w[i * l.outputs + o] = l.w(o, i);
                    }
                }
                (
                    Tensor::from_data(TensorData::new(w, [l.inputs, l.outputs]), &device),
                    Tensor::from_data(TensorData::new(l.bias.clone(), [1, l.outputs]), &device),
                    l.activation,
                )
            })
            .collect();
        BurnModel {
            device,
            layers,
            channels: mlp.outputs(),
        }
    }

    /// The field `[H, W, C]` of `grid`, row-major.
    pub fn field(&self, grid: &GridSpec) -> Vec<f32> {
        let points = grid.points();
        let mut out = Vec::with_capacity(points * self.channels);
        let mut start = 0;
        while start < points {
            let n = BATCH.min(points - start);
            let mut xy = Vec::with_capacity(2 * n);
            for p in start..start + n {
                xy.push(grid.x(p % grid.width) as f32);
                xy.push(grid.y(p / grid.width) as f32);
            }
            let mut h: Tensor<2> = Tensor::from_data(TensorData::new(xy, [n, 2]), &self.device);
            for (w, b, activation) in &self.layers {
                h = apply(*activation, h.matmul(w.clone()) + b.clone());
            }
            out.extend(
                h.into_data()
                    .try_to_vec::<f32>()
                    .expect("float tensors hold f32"),
            );
            start += n;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_model::arrays::Field;
    use faultline_model::random::random_mlp;
    use faultline_model::{Activation, Domain};

    #[test]
    fn burn_field_matches_the_reference() {
        let m = random_mlp(&[2, 6, 5, 3], Activation::Tanh, Activation::Softmax, 4, 1.5);
        let grid = GridSpec::new(Domain::new([-2.0, 2.0], [-1.0, 3.0]).unwrap(), 13, 9).unwrap();
        let burn = BurnModel::new(&m).field(&grid);
        let reference = Field::reference(&m, &grid).unwrap();
        for (a, b) in burn.iter().zip(&reference.values) {
            assert!(
                (a - b).abs() <= 1e-5 + 1e-4 * b.abs(),
                "burn {a} vs reference {b}"
            );
        }
    }
}
