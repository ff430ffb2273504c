//! The crossings z_i = z_j as polylines for vector figures: traced on the grid by marching
//! squares (the rule of [`crate::boundaries`]), each vertex then moved onto the network's
//! own zero of z_i - z_j along its cell edge by bisection in float64, so the lines are as
//! exact as the network however far one zooms.

use std::collections::HashMap;

use faultline_model::arrays::tracks_crossings;
use faultline_model::{GridSpec, Mlp};

use crate::boundaries::{cell_edges, edge_point, on_decision};

/// One traced line.
#[derive(Debug, Clone, PartialEq)]
pub struct Polyline {
    /// The first output (class 0 of a one-output model).
    pub i: usize,
    /// The second output (class 1 of a one-output model).
    pub j: usize,
    /// Whether it is decision boundary (i and j the two largest), else a crossing that
    /// does not change the winner.
    pub decision: bool,
    /// Its vertices in domain units; closed when the first equals the last.
    pub points: Vec<(f64, f64)>,
}

/// A grid edge: `(r, c, vertical)`, horizontal from sample (r, c) to (r, c+1), vertical
/// from (r, c) to (r+1, c).
type EdgeKey = (usize, usize, bool);

/// The global edge of local edge `e` of cell `(r, c)` (bottom, right, top, left).
fn edge_key(r: usize, c: usize, e: usize) -> EdgeKey {
    match e {
        0 => (r, c, false),
        1 => (r, c + 1, true),
        2 => (r + 1, c, false),
        _ => (r, c, true),
    }
}

/// Bisection steps: 2^-50 of a cell.
const STEPS: usize = 50;

/// Traces every pair's crossings in `field` (`[H, W, C]`, `mlp`'s outputs on `grid`):
/// decision boundaries, and with `crossings` the other crossings too. Models with more
/// than 64 pairs track none (as every other array): nothing is returned for them.
pub fn trace(mlp: &Mlp, field: &[f32], grid: &GridSpec, crossings: bool) -> Vec<Polyline> {
    let c = mlp.outputs();
    let (w, h) = (grid.width, grid.height);
    if w < 2 || h < 2 || (c > 1 && !tracks_crossings(c)) {
        return Vec::new();
    }
    let threshold = mlp.threshold();
    let pairs: Vec<(usize, usize)> = if c == 1 {
        vec![(0, 1)]
    } else {
        (0..c)
            .flat_map(|i| (i + 1..c).map(move |j| (i, j)))
            .collect()
    };
    // The difference a pair is traced on, from the field and from the network.
    let diff32 = |cell: usize, (i, j): (usize, usize)| -> f64 {
        let z = &field[cell * c..(cell + 1) * c];
        if c == 1 {
            f64::from(z[0]) - f64::from(threshold)
        } else {
            f64::from(z[i]) - f64::from(z[j])
        }
    };
    let diff64 = |x: f64, y: f64, (i, j): (usize, usize)| -> f64 {
        let z = mlp.forward_f64(&[x, y]);
        if c == 1 {
            z[0] - f64::from(threshold)
        } else {
            z[i] - z[j]
        }
    };
    let mut lines = Vec::new();
    for &pair in &pairs {
        // Segments as edge pairs, split by whether they are decision boundary.
        let mut segments: [Vec<(EdgeKey, EdgeKey)>; 2] = [Vec::new(), Vec::new()];
        let mut linear: HashMap<EdgeKey, (f64, f64)> = HashMap::new();
        for r in 0..h - 1 {
            for col in 0..w - 1 {
                let corners = [
                    r * w + col,
                    r * w + col + 1,
                    (r + 1) * w + col + 1,
                    (r + 1) * w + col,
                ];
                let d = corners.map(|cell| diff32(cell, pair));
                for (a, b) in cell_edges(&d) {
                    let (pa, pb) = (edge_point(&d, a), edge_point(&d, b));
                    let mid = ((pa.0 + pb.0) / 2.0, (pa.1 + pb.1) / 2.0);
                    let decision = on_decision(field, c, w, r, col, mid, pair);
                    if !decision && !crossings {
                        continue;
                    }
                    let (ka, kb) = (edge_key(r, col, a), edge_key(r, col, b));
                    for (k, p) in [(ka, pa), (kb, pb)] {
                        linear.entry(k).or_insert_with(|| {
                            let x = grid.x(col) + p.0 * (grid.x(col + 1) - grid.x(col));
                            let y = grid.y(r) + p.1 * (grid.y(r + 1) - grid.y(r));
                            (x, y)
                        });
                    }
                    segments[usize::from(decision)].push((ka, kb));
                }
            }
        }
        // Each vertex onto the network's zero along its edge.
        let refined: HashMap<EdgeKey, (f64, f64)> = linear
            .iter()
            .map(|(&key, &guess)| (key, refine(grid, key, guess, |x, y| diff64(x, y, pair))))
            .collect();
        for (decision, segs) in segments.into_iter().enumerate() {
            for chain in chains(&segs) {
                lines.push(Polyline {
                    i: pair.0,
                    j: pair.1,
                    decision: decision == 1,
                    points: chain.iter().map(|k| refined[k]).collect(),
                });
            }
        }
    }
    lines
}

/// The zero of `d` on grid edge `key` by bisection between its two samples, or `guess`
/// (the linear estimate) where the network's signs at them agree (a near-tie the float32
/// field saw differently).
fn refine(
    grid: &GridSpec,
    (r, c, vertical): EdgeKey,
    guess: (f64, f64),
    d: impl Fn(f64, f64) -> f64,
) -> (f64, f64) {
    let (a, b) = if vertical {
        ((grid.x(c), grid.y(r)), (grid.x(c), grid.y(r + 1)))
    } else {
        ((grid.x(c), grid.y(r)), (grid.x(c + 1), grid.y(r)))
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let at = |t: f64| (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
    let d_lo = d(a.0, a.1);
    let d_hi = d(b.0, b.1);
    if (d_lo > 0.0) == (d_hi > 0.0) || !d_lo.is_finite() || !d_hi.is_finite() {
        return guess;
    }
    for _ in 0..STEPS {
        let mid = 0.5 * (lo + hi);
        let (x, y) = at(mid);
        if (d(x, y) > 0.0) == (d_lo > 0.0) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    at(0.5 * (lo + hi))
}

/// Segments joined into chains where they share an edge: open chains from their ends
/// first, then the closed ones (first vertex repeated at the end).
fn chains(segments: &[(EdgeKey, EdgeKey)]) -> Vec<Vec<EdgeKey>> {
    let mut at: HashMap<EdgeKey, Vec<usize>> = HashMap::new();
    for (s, &(a, b)) in segments.iter().enumerate() {
        at.entry(a).or_default().push(s);
        at.entry(b).or_default().push(s);
    }
    let mut used = vec![false; segments.len()];
    let mut out = Vec::new();
    let walk = |start_seg: usize, from: EdgeKey, used: &mut Vec<bool>| {
        let mut chain = vec![from];
        let (mut seg, mut here) = (start_seg, from);
        loop {
            used[seg] = true;
            let (a, b) = segments[seg];
            let next = if a == here { b } else { a };
            chain.push(next);
            here = next;
            match at[&here].iter().find(|&&s| !used[s]) {
                Some(&s) => seg = s,
                None => break,
            }
        }
        chain
    };
    // Ends: edges touched by one segment (a line leaving the grid).
    let mut ends: Vec<EdgeKey> = at
        .iter()
        .filter(|(_, s)| s.len() == 1)
        .map(|(&k, _)| k)
        .collect();
    ends.sort_unstable();
    for key in ends {
        if let Some(&s) = at[&key].iter().find(|&&s| !used[s]) {
            out.push(walk(s, key, &mut used));
        }
    }
    for s in 0..segments.len() {
        if !used[s] {
            let start = segments[s].0;
            out.push(walk(s, start, &mut used));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_model::random::random_mlp;
    use faultline_model::{Activation, Domain};

    #[test]
    fn traced_vertices_lie_on_the_networks_crossings() {
        let mlp = random_mlp(&[2, 8, 3], Activation::Tanh, Activation::Softmax, 11, 2.0);
        let grid = GridSpec::new(Domain::new([-2.0, 2.0], [-2.0, 2.0]).unwrap(), 96, 80).unwrap();
        let field = faultline_model::arrays::Field::reference(&mlp, &grid)
            .unwrap()
            .values;
        let lines = trace(&mlp, &field, &grid, true);
        assert!(!lines.is_empty());
        let cell = 4.0 / 95.0;
        for line in &lines {
            assert!(line.points.len() >= 2);
            for &(x, y) in &line.points {
                let z = mlp.forward_f64(&[x, y]);
                let d = z[line.i] - z[line.j];
                // |d| over its gradient's length, in cells.
                let e = 1e-7;
                let dx = (mlp.forward_f64(&[x + e, y])[line.i]
                    - mlp.forward_f64(&[x + e, y])[line.j]
                    - d)
                    / e;
                let dy = (mlp.forward_f64(&[x, y + e])[line.i]
                    - mlp.forward_f64(&[x, y + e])[line.j]
                    - d)
                    / e;
                let distance = d.abs() / dx.hypot(dy).max(1e-12);
                assert!(
                    distance <= 1e-3 * cell,
                    "{distance} from the crossing at ({x}, {y})"
                );
            }
        }
        // Decision lines exist and are marked.
        assert!(lines.iter().any(|l| l.decision));
    }
}
