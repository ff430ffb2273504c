//! A plane that moves: what the viewer's slice controls change. An axis slice picks its
//! two axes and the values of the other inputs; any other plane moves along a normal
//! direction. Each change is one [`Plane::fold`] of the original model: no kernel is
//! generated for it.

use crate::{Domain, Mlp, ModelError, Plane};

/// How the plane moves.
#[derive(Debug, Clone, PartialEq)]
pub enum SliceKind {
    /// Two inputs as the axes, every other at its value in `at`.
    Axes {
        /// The inputs shown as x and y.
        axes: [usize; 2],
        /// One value per input (the axes' entries unused).
        at: Vec<f64>,
        /// Each input's range: a fixed input's slider, an axis's extent.
        ranges: Vec<[f64; 2]>,
    },
    /// A plane moved by `offset` along the unit vector `normal`, orthogonal to it.
    Shifted {
        /// The plane at offset 0.
        plane: Plane,
        /// The direction it moves in.
        normal: Vec<f64>,
        /// How far it has moved.
        offset: f64,
        /// The slider's range of offsets.
        range: [f64; 2],
        /// The plane's domain (s, t), which moving does not change.
        domain: Domain,
    },
}

/// A wide model and the plane through its inputs that the viewer shows now.
#[derive(Debug, Clone)]
pub struct LiveSlice {
    /// The model with all its inputs.
    pub original: Mlp,
    /// The plane and how it moves.
    pub kind: SliceKind,
}

impl LiveSlice {
    /// The current plane and the domain to show it over.
    pub fn plane(&self) -> Result<(Plane, Domain), ModelError> {
        match &self.kind {
            SliceKind::Axes { axes, at, ranges } => {
                let [a, b] = *axes;
                Ok((Plane::axes(at, a, b)?, Domain::new(ranges[a], ranges[b])?))
            }
            SliceKind::Shifted {
                plane,
                normal,
                offset,
                domain,
                ..
            } => {
                let origin = plane
                    .origin
                    .iter()
                    .zip(normal)
                    .map(|(o, n)| o + offset * n)
                    .collect();
                let moved = Plane::new(origin, plane.u.clone(), plane.v.clone())?;
                Ok((moved, *domain))
            }
        }
    }

    /// The model on the current plane (two inputs) and the domain to show it over.
    pub fn fold(&self) -> Result<(Mlp, Domain), ModelError> {
        let names = self.original.input_names();
        let (plane, domain) = self.plane()?;
        let axis_names = match &self.kind {
            SliceKind::Axes { axes, .. } => [names[axes[0]].clone(), names[axes[1]].clone()],
            SliceKind::Shifted { .. } => ["s".into(), "t".into()],
        };
        let mlp = plane.fold(&self.original, axis_names, Some(domain))?;
        Ok((mlp, domain))
    }

    /// The current plane in words, for the panel.
    pub fn describe(&self) -> String {
        let names = self.original.input_names();
        match &self.kind {
            SliceKind::Axes { axes, at, .. } => {
                let fixed: Vec<String> = (0..names.len())
                    .filter(|k| !axes.contains(k))
                    .map(|k| format!("{} = {:.3}", names[k], at[k]))
                    .collect();
                format!(
                    "{} × {}, {}",
                    names[axes[0]],
                    names[axes[1]],
                    if fixed.is_empty() {
                        "no other inputs".to_string()
                    } else {
                        fixed.join(", ")
                    }
                )
            }
            SliceKind::Shifted { offset, .. } => {
                format!("the plane moved {offset:.3} along its normal")
            }
        }
    }
}

/// A unit direction orthogonal to `plane` along which `rows` (row-major points) spread
/// most, with the range of their offsets along it from the plane's origin; for no rows
/// (or data lying in the plane) the input axis most orthogonal to the plane, with the
/// range `[-1, 1]`.
pub fn normal_within(plane: &Plane, rows: &[f64]) -> (Vec<f64>, [f64; 2]) {
    let n = plane.inputs();
    // An orthonormal basis of the plane.
    let unit = |v: &[f64]| {
        let len = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter().map(|x| x / len).collect::<Vec<f64>>()
    };
    let e1 = unit(&plane.u);
    let along: f64 = plane.v.iter().zip(&e1).map(|(a, b)| a * b).sum();
    let e2 = unit(
        &plane
            .v
            .iter()
            .zip(&e1)
            .map(|(v, e)| v - along * e)
            .collect::<Vec<f64>>(),
    );
    let off_plane = |x: &[f64]| -> Vec<f64> {
        let d: Vec<f64> = x.iter().zip(&plane.origin).map(|(a, o)| a - o).collect();
        let (p1, p2) = (
            d.iter().zip(&e1).map(|(a, b)| a * b).sum::<f64>(),
            d.iter().zip(&e2).map(|(a, b)| a * b).sum::<f64>(),
        );
        (0..n).map(|i| d[i] - p1 * e1[i] - p2 * e2[i]).collect()
    };
    let residuals: Vec<f64> = rows.chunks_exact(n).flat_map(off_plane).collect();
    let count = residuals.len() / n.max(1);
    let mut cov = vec![0.0; n * n];
    for r in residuals.chunks_exact(n) {
        for i in 0..n {
            for j in 0..n {
                cov[i * n + j] += r[i] * r[j];
            }
        }
    }
    let (values, vectors) = crate::eigen::top_eigenvectors(&cov, n, 1);
    let normal = if count > 0 && values.first().is_some_and(|&v| v > 1e-12) {
        unit(&vectors[0])
    } else {
        // The input axis with the least of it in the plane, made orthogonal to it.
        let k = (0..n)
            .min_by(|&i, &j| {
                let w = |k: usize| e1[k].powi(2) + e2[k].powi(2);
                w(i).total_cmp(&w(j))
            })
            .unwrap_or(0);
        let axis: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i == k))).collect();
        let mut o = plane.origin.clone();
        o.iter_mut().zip(&axis).for_each(|(o, a)| *o += a);
        unit(&off_plane(&o))
    };
    let offsets = rows.chunks_exact(n).map(|x| {
        x.iter()
            .zip(&plane.origin)
            .zip(&normal)
            .map(|((a, o), m)| (a - o) * m)
            .sum::<f64>()
    });
    let (lo, hi) = offsets.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let range = if lo < hi { [lo, hi] } else { [-1.0, 1.0] };
    (normal, range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Activation;
    use crate::random::random_mlp;

    #[test]
    fn moving_a_slider_moves_the_plane() {
        let mlp = random_mlp(&[4, 8, 3], Activation::Relu, Activation::Softmax, 5, 1.0);
        let mut slice = LiveSlice {
            original: mlp.clone(),
            kind: SliceKind::Axes {
                axes: [2, 3],
                at: vec![0.5, -0.25, 0.0, 0.0],
                ranges: vec![[-1.0, 1.0]; 4],
            },
        };
        let (folded, domain) = slice.fold().unwrap();
        assert_eq!(domain, Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap());
        let at = |m: &Mlp, s: f64, t: f64| m.forward_f64(&[s, t]);
        let full = mlp.forward_f64(&[0.5, -0.25, 0.3, -0.7]);
        assert!(
            at(&folded, 0.3, -0.7)
                .iter()
                .zip(&full)
                .all(|(a, b)| (a - b).abs() < 1e-5)
        );
        if let SliceKind::Axes { at, .. } = &mut slice.kind {
            at[0] = -0.9;
        }
        let (moved, _) = slice.fold().unwrap();
        let full = mlp.forward_f64(&[-0.9, -0.25, 0.3, -0.7]);
        assert!(
            at(&moved, 0.3, -0.7)
                .iter()
                .zip(&full)
                .all(|(a, b)| (a - b).abs() < 1e-5)
        );
        assert!(
            slice.describe().contains("x0 = -0.900"),
            "{}",
            slice.describe()
        );
    }

    #[test]
    fn the_normal_follows_the_data_off_the_plane() {
        // Data spread along e3 off the plane spanned by e1, e2.
        let plane = Plane::axes(&[0.0; 4], 0, 1).unwrap();
        let rows: Vec<f64> = (0..20)
            .flat_map(|i| [i as f64, 1.0, (i as f64 - 10.0) * 0.5, 0.01 * i as f64])
            .collect();
        let (normal, range) = normal_within(&plane, &rows);
        assert!(normal[2].abs() > 0.999, "{normal:?}");
        assert!((range[1] - range[0] - 9.5).abs() < 0.1, "{range:?}");
        let (fallback, range) = normal_within(&plane, &[]);
        assert_eq!(range, [-1.0, 1.0]);
        assert!(fallback[0].abs() < 1e-12 && fallback[1].abs() < 1e-12);
    }
}
