//! Connected pieces of the class map: each class's region fragments (4-neighbour
//! connectivity, dbViz's fragmentation) and the clusters of junction cells (8-neighbour),
//! by union-find over the grid (no recursion).

use faultline_model::GridSpec;

/// A disjoint-set forest over grid cells.
struct Sets {
    parent: Vec<u32>,
}

impl Sets {
    fn new(n: usize) -> Sets {
        Sets {
            parent: (0..n as u32).collect(),
        }
    }

    fn find(&mut self, mut a: u32) -> u32 {
        while self.parent[a as usize] != a {
            let up = self.parent[self.parent[a as usize] as usize];
            self.parent[a as usize] = up;
            a = up;
        }
        a
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.parent[hi as usize] = lo;
        }
    }
}

/// The number of 4-connected pieces of each class's region in `classes` (`[H, W]`),
/// indexed by class (0 for a class that covers nothing).
pub fn components(classes: &[u32], width: usize, height: usize, count: usize) -> Vec<usize> {
    let mut sets = Sets::new(width * height);
    for r in 0..height {
        for c in 0..width {
            let i = r * width + c;
            if c + 1 < width && classes[i] == classes[i + 1] {
                sets.union(i as u32, (i + 1) as u32);
            }
            if r + 1 < height && classes[i] == classes[i + width] {
                sets.union(i as u32, (i + width) as u32);
            }
        }
    }
    let mut pieces = vec![0usize; count];
    for i in 0..width * height {
        if sets.find(i as u32) == i as u32 {
            pieces[classes[i] as usize] += 1;
        }
    }
    pieces
}

/// A cluster of junction cells: its centroid in domain units and the classes that meet.
#[derive(Debug, Clone, PartialEq)]
pub struct Junction {
    /// Centroid x.
    pub x: f64,
    /// Centroid y.
    pub y: f64,
    /// The classes meeting in its cells, sorted.
    pub classes: Vec<u32>,
}

/// The classes of the 2x2 block at cell `(r, c)` (samples `r..=r+1`, `c..=c+1`, those
/// inside the grid), sorted and deduplicated.
fn block(classes: &[u32], width: usize, height: usize, r: usize, c: usize) -> Vec<u32> {
    let mut b = Vec::with_capacity(4);
    for (dr, dc) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        if r + dr < height && c + dc < width {
            b.push(classes[(r + dr) * width + c + dc]);
        }
    }
    b.sort_unstable();
    b.dedup();
    b
}

/// The junctions of `classes`: cells whose 2x2 block holds three or more classes (the
/// rule of `arrays::junctions`), clustered 8-connected, each at the centroid of its cells'
/// centres.
pub fn junctions(classes: &[u32], grid: &GridSpec) -> Vec<Junction> {
    let (width, height) = (grid.width, grid.height);
    let cells: Vec<bool> = faultline_model::arrays::junctions(classes, width, height)
        .into_iter()
        .map(|j| j != 0)
        .collect();
    let mut sets = Sets::new(width * height);
    for r in 0..height {
        for c in 0..width {
            let i = r * width + c;
            if !cells[i] {
                continue;
            }
            for (dr, dc) in [(0isize, 1isize), (1, -1), (1, 0), (1, 1)] {
                let (rr, cc) = (r as isize + dr, c as isize + dc);
                if rr < height as isize && cc >= 0 && cc < width as isize {
                    let j = rr as usize * width + cc as usize;
                    if cells[j] {
                        sets.union(i as u32, j as u32);
                    }
                }
            }
        }
    }
    // (sum of x, sum of y, cells, classes) per root, in order of first cell.
    let mut clusters: Vec<(u32, f64, f64, usize, Vec<u32>)> = Vec::new();
    let mut slot = std::collections::HashMap::new();
    for (i, _) in cells.iter().enumerate().filter(|(_, on)| **on) {
        let root = sets.find(i as u32);
        let k = *slot.entry(root).or_insert_with(|| {
            clusters.push((root, 0.0, 0.0, 0, Vec::new()));
            clusters.len() - 1
        });
        let (r, c) = (i / width, i % width);
        // The cell's centre: halfway to the next sample where there is one.
        let x = if c + 1 < width {
            0.5 * (grid.x(c) + grid.x(c + 1))
        } else {
            grid.x(c)
        };
        let y = if r + 1 < height {
            0.5 * (grid.y(r) + grid.y(r + 1))
        } else {
            grid.y(r)
        };
        let entry = &mut clusters[k];
        entry.1 += x;
        entry.2 += y;
        entry.3 += 1;
        entry.4.extend(block(classes, width, height, r, c));
    }
    clusters
        .into_iter()
        .map(|(_, x, y, n, mut classes)| {
            classes.sort_unstable();
            classes.dedup();
            Junction {
                x: x / n as f64,
                y: y / n as f64,
                classes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_model::Domain;

    #[test]
    fn pieces_and_junction_clusters() {
        // Class 1 in two blobs cutting class 0 in two, class 2 in a corner.
        #[rustfmt::skip]
        let classes = [
            0, 1, 0, 0, 0,
            0, 1, 0, 1, 1,
            0, 1, 0, 1, 1,
            2, 2, 0, 0, 0,
        ];
        assert_eq!(components(&classes, 5, 4, 4), [2, 2, 1, 0]);
        let grid = GridSpec::new(Domain::new([0.0, 4.0], [0.0, 3.0]).unwrap(), 5, 4).unwrap();
        let j = junctions(&classes, &grid);
        // Blocks holding 0, 1 and 2: cells (2, 0) and (2, 1), one cluster.
        assert_eq!(j.len(), 1, "{j:?}");
        assert_eq!(j[0].classes, [0, 1, 2]);
        assert!(
            (j[0].x - 1.0).abs() < 1e-12 && (j[0].y - 2.5).abs() < 1e-12,
            "{j:?}"
        );
    }
}
