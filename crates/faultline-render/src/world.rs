//! Where the landscape's data lands in world space, written once: input x along world x
//! from -1 (x0) to 1 (x1), input y along world z from +1 (y0) to -1 (y1), an output value
//! at height (v - z0) / (z1 - z0) * height_scale above y = 0. `shaders/landscape.wgsl`
//! (`world_x`, `world_z`, `height`) applies the same rule to grid columns and rows.

use faultline_model::Domain;
use glam::Vec3;

/// The mapping from (input x, input y, output value) to world space for one scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldMap {
    /// The input rectangle over the floor.
    pub domain: Domain,
    /// The output values at height 0 and at `height_scale`.
    pub z_range: [f32; 2],
    /// Height of the z range's top, in world units.
    pub height_scale: f32,
}

/// `(v - lo) / (hi - lo)`, 0 where the range is empty.
fn fraction(v: f64, [lo, hi]: [f64; 2]) -> f64 {
    let span = hi - lo;
    if span.abs() > 1e-300 {
        (v - lo) / span
    } else {
        0.0
    }
}

impl WorldMap {
    /// World x of input x `s`.
    pub fn x(&self, s: f64) -> f32 {
        (-1.0 + 2.0 * fraction(s, self.domain.x)) as f32
    }

    /// World z of input y `t`.
    pub fn z(&self, t: f64) -> f32 {
        (1.0 - 2.0 * fraction(t, self.domain.y)) as f32
    }

    /// World height of output value `v`.
    pub fn height(&self, v: f64) -> f32 {
        fraction(v, self.z_range.map(f64::from)) as f32 * self.height_scale
    }

    /// The world point of output value `v` at input (`s`, `t`).
    pub fn point(&self, s: f64, t: f64, v: f64) -> Vec3 {
        Vec3::new(self.x(s), self.height(v), self.z(t))
    }
}

/// World x and z of sample (`row`, `column`) of an `n` x `n` grid spanning the floor (the
/// same rule on grid units, as for [`crate::Scene::outline`]).
pub fn grid_xz(row: usize, column: usize, n: usize) -> (f32, f32) {
    let last = n.saturating_sub(1).max(1) as f32;
    (
        -1.0 + 2.0 * column as f32 / last,
        1.0 - 2.0 * row as f32 / last,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_spans_the_floor_and_the_range_the_height() {
        let map = WorldMap {
            domain: Domain::new([0.0, 255.0], [100.0, 125.5]).unwrap(),
            z_range: [-2.0, 2.0],
            height_scale: 0.8,
        };
        assert_eq!(map.point(0.0, 100.0, -2.0), Vec3::new(-1.0, 0.0, 1.0));
        assert_eq!(map.point(255.0, 125.5, 2.0), Vec3::new(1.0, 0.8, -1.0));
        let mid = map.point(127.5, 112.75, 0.0);
        assert!((mid - Vec3::new(0.0, 0.4, 0.0)).length() < 1e-6, "{mid}");
    }

    #[test]
    fn an_empty_range_stays_on_the_floor() {
        let map = WorldMap {
            domain: Domain::new([0.0, 1.0], [0.0, 1.0]).unwrap(),
            z_range: [0.5, 0.5],
            height_scale: 1.0,
        };
        assert_eq!(map.height(0.5), 0.0);
    }
}
