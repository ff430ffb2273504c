//! Which parts of the screen a landscape covers: the floor and the surfaces as they stand
//! (the scene's coarse outline) projected and filled into a mask of small cells, so the
//! overlay can tell how much of the picture a box would hide (the legend's corner,
//! [`crate::legend::place`]). Steep walls count by the area they cover on screen, not by
//! how few samples lie on them.

use egui::{Pos2, Rect};
use glam::Vec3;

use crate::axes::Projection;
use crate::landscape::FLOOR_DROP;
use crate::scene::OUTLINE_SIDE;
use crate::world::grid_xz;
use crate::{Scene, ViewOptions};

/// A cell's side, in points.
const CELL: f32 = 3.0;
/// Every `STRIDE`-th coarse sample is a mesh vertex.
const STRIDE: usize = 2;

/// A mask over the screen of the cells the scene covers.
pub struct Occupancy {
    screen: Rect,
    columns: usize,
    rows: usize,
    covered: Vec<bool>,
}

impl Occupancy {
    /// What `scene` drawn with `view` (its surfaces shown, its height scale and floor)
    /// covers of `projection`'s screen.
    pub fn of_scene(scene: &Scene, view: &ViewOptions, projection: &Projection) -> Occupancy {
        let height_scale = view.height_scale;
        let screen = projection.screen();
        let columns = (screen.width() / CELL).ceil().max(1.0) as usize;
        let rows = (screen.height() / CELL).ceil().max(1.0) as usize;
        let mut mask = Occupancy {
            screen,
            columns,
            rows,
            covered: vec![false; columns * rows],
        };
        let floor = -FLOOR_DROP * height_scale;
        let corners = [(-1.0, 1.0), (1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)]
            .map(|(x, z)| projection.point(Vec3::new(x, floor, z)));
        if view.floor {
            mask.fill_quad(corners);
        }
        let n = OUTLINE_SIDE;
        let at = |surface: &[f32], r: usize, c: usize| {
            let (x, z) = grid_xz(r, c, n);
            projection.point(Vec3::new(x, surface[r * n + c] * height_scale, z))
        };
        let shown = scene
            .outline
            .chunks_exact(n * n)
            .enumerate()
            .filter(|(k, _)| view.shows(*k, scene.surfaces))
            .map(|(_, surface)| surface);
        for surface in shown {
            for r in (0..n - 1).step_by(STRIDE) {
                for c in (0..n - 1).step_by(STRIDE) {
                    let (r1, c1) = ((r + STRIDE).min(n - 1), (c + STRIDE).min(n - 1));
                    mask.fill_quad([
                        at(surface, r, c),
                        at(surface, r, c1),
                        at(surface, r1, c),
                        at(surface, r1, c1),
                    ]);
                }
            }
        }
        mask
    }

    /// Fills the quad with corners (0,0), (1,0), (0,1), (1,1) as two triangles; nothing
    /// where a corner is behind the camera.
    fn fill_quad(&mut self, [a, b, c, d]: [Option<Pos2>; 4]) {
        if let (Some(a), Some(b), Some(c), Some(d)) = (a, b, c, d) {
            self.fill_triangle(a, b, c);
            self.fill_triangle(c, b, d);
        }
    }

    /// Marks the cells whose centres lie inside the triangle (either winding).
    fn fill_triangle(&mut self, a: Pos2, b: Pos2, c: Pos2) {
        let to_cell = |p: Pos2| ((p - self.screen.min) / CELL).to_pos2();
        let (a, b, c) = (to_cell(a), to_cell(b), to_cell(c));
        let lo = a.min(b).min(c);
        let hi = a.max(b).max(c);
        let x0 = lo.x.floor().max(0.0) as usize;
        let y0 = lo.y.floor().max(0.0) as usize;
        let x1 = (hi.x.ceil().max(0.0) as usize).min(self.columns);
        let y1 = (hi.y.ceil().max(0.0) as usize).min(self.rows);
        let edge =
            |p: Pos2, q: Pos2, s: Pos2| (q.x - p.x) * (s.y - p.y) - (q.y - p.y) * (s.x - p.x);
        let area = edge(a, b, c);
        if area.abs() < 1e-6 {
            return;
        }
        for y in y0..y1 {
            for x in x0..x1 {
                let s = Pos2::new(x as f32 + 0.5, y as f32 + 0.5);
                let inside = [edge(a, b, s), edge(b, c, s), edge(c, a, s)]
                    .iter()
                    .all(|e| e * area >= 0.0);
                if inside {
                    self.covered[y * self.columns + x] = true;
                }
            }
        }
    }

    /// The area of `rect` the scene covers, in square points.
    pub fn area_in(&self, rect: Rect) -> f32 {
        let cells = rect.translate(-self.screen.min.to_vec2());
        let x0 = (cells.min.x / CELL).floor().max(0.0) as usize;
        let y0 = (cells.min.y / CELL).floor().max(0.0) as usize;
        let x1 = ((cells.max.x / CELL).ceil().max(0.0) as usize).min(self.columns);
        let y1 = ((cells.max.y / CELL).ceil().max(0.0) as usize).min(self.rows);
        let count = (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| self.covered[y * self.columns + x])
            .count();
        count as f32 * CELL * CELL
    }

    /// The share of the screen the scene covers.
    pub fn share(&self) -> f32 {
        self.covered.iter().filter(|&&c| c).count() as f32 / self.covered.len() as f32
    }
}
