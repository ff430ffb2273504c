//! The 2-D boundary map: one pixel per grid sample, y upward.

use faultline_model::arrays::{CLASS_MASK, CROSSING, DECISION, JUNCTION};

use crate::palette::class_colour;

/// What to draw besides the class colours and the decision boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MapStyle {
    /// Draw the pairwise crossings that don't change the winner, as lighter lines.
    pub crossings: bool,
}

/// The decision boundary colour.
pub const BOUNDARY: [u8; 3] = [0x1A, 0x1A, 0x1A];
/// Junction markers: a white disc with a dark ring.
const MARKER_FILL: [u8; 3] = [0xFF, 0xFF, 0xFF];

/// Composes an RGB8 image (`width * height * 3` bytes, image row 0 at the top, which is
/// grid row H-1) from per-cell flags (class | DECISION | JUNCTION | CROSSING): the
/// [`MapComposer`] run over all rows at once.
pub fn compose_map(flags: &[u32], width: usize, height: usize, style: MapStyle) -> Vec<u8> {
    assert_eq!(flags.len(), width * height, "one flag per cell");
    let mut image = Vec::with_capacity(width * height * 3);
    let mut composer = MapComposer::new(width, height, style);
    let mut keep = |_: usize, row: &[u8]| {
        image.extend_from_slice(row);
        Ok(())
    };
    for i in 0..height {
        let r = height - 1 - i;
        composer
            .push_row(&flags[r * width..(r + 1) * width], &mut keep)
            .expect("writing to memory");
    }
    composer.finish(&mut keep).expect("writing to memory");
    image
}

/// Composes the map row by row, top to bottom, so a map of any height is drawn (and
/// written) in bounded memory: a row is handed on once no junction marker can reach it
/// any more, `radius + 1` rows later.
///
/// Junction markers are white discs with a dark ring over junction cells, the radius
/// growing with the image; a junction cell within a radius of a marker already placed
/// (scanning rows top to bottom, cells left to right) shares it.
pub struct MapComposer {
    width: usize,
    height: usize,
    style: MapStyle,
    radius: isize,
    /// Markers placed, image coordinates; those more than `radius + 1` rows above the
    /// current row are dropped (they can neither reach nor absorb anything any more).
    markers: Vec<(isize, isize)>,
    /// Composed rows not yet handed on: (image row, RGB8).
    pending: std::collections::VecDeque<(usize, Vec<u8>)>,
    /// The image row the next pushed flags are.
    next: usize,
    /// Whether more than the marker limit were seen (the rest are not drawn).
    markers_placed: usize,
}

/// The most junction markers a map draws.
const MAX_MARKERS: usize = 10_000;

impl MapComposer {
    /// A composer for a `width x height` map.
    pub fn new(width: usize, height: usize, style: MapStyle) -> MapComposer {
        MapComposer {
            width,
            height,
            style,
            radius: (width.min(height) / 160).clamp(2, 24) as isize,
            markers: Vec::new(),
            pending: std::collections::VecDeque::new(),
            next: 0,
            markers_placed: 0,
        }
    }

    /// Draws the parts of `marker` that fall on image row `y` into `row`.
    fn draw_marker(&self, (mx, my): (isize, isize), y: isize, row: &mut [u8]) {
        let r = self.radius;
        let dy = y - my;
        if dy.abs() > r + 1 {
            return;
        }
        for px in (mx - r - 1).max(0)..=(mx + r + 1).min(self.width as isize - 1) {
            let d2 = (px - mx).pow(2) + dy * dy;
            let colour = if d2 <= r * r {
                MARKER_FILL
            } else if d2 <= (r + 1) * (r + 1) {
                BOUNDARY
            } else {
                continue;
            };
            let at = px as usize * 3;
            row[at..at + 3].copy_from_slice(&colour);
        }
    }

    /// Takes the next image row's flags (the grid row `height - 1 - i` for image row i)
    /// and hands finished rows to `emit(image_row, rgb)` in order.
    pub fn push_row(
        &mut self,
        flags: &[u32],
        emit: &mut impl FnMut(usize, &[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        assert_eq!(flags.len(), self.width, "one flag per cell");
        let y = self.next;
        self.next += 1;
        let mut row = vec![0u8; self.width * 3];
        for (c, &f) in flags.iter().enumerate() {
            let mut colour = class_colour((f & CLASS_MASK) as usize);
            if f & DECISION != 0 {
                colour = BOUNDARY;
            } else if self.style.crossings && f & CROSSING != 0 {
                // A lighter line: the class colour halfway to white.
                colour = colour.map(|v| ((u16::from(v) + 255) / 2) as u8);
            }
            row[c * 3..c * 3 + 3].copy_from_slice(&colour);
        }
        // Markers placed above still reaching this row.
        let yi = y as isize;
        for &m in &self.markers {
            self.draw_marker(m, yi, &mut row);
        }
        // New markers on this row, drawn on the pending rows above and on this one.
        for (c, &f) in flags.iter().enumerate() {
            if f & JUNCTION == 0 || self.markers_placed >= MAX_MARKERS {
                continue;
            }
            let x = c as isize;
            let r = self.radius;
            if self
                .markers
                .iter()
                .any(|&(mx, my)| (mx - x).abs() <= r && (my - yi).abs() <= r)
            {
                continue;
            }
            let marker = (x, yi);
            self.markers.push(marker);
            self.markers_placed += 1;
            let mut above = std::mem::take(&mut self.pending);
            for (py, prow) in above.iter_mut() {
                self.draw_marker(marker, *py as isize, prow);
            }
            self.pending = above;
            self.draw_marker(marker, yi, &mut row);
        }
        self.pending.push_back((y, row));
        let reach = self.radius + 1;
        self.markers.retain(|&(_, my)| yi - my <= reach);
        while let Some((py, _)) = self.pending.front() {
            if (*py as isize) < yi - reach {
                let (py, prow) = self.pending.pop_front().expect("a row");
                emit(py, &prow)?;
            } else {
                break;
            }
        }
        Ok(())
    }

    /// Hands on the rows still pending (after the last row was pushed).
    pub fn finish(
        mut self,
        emit: &mut impl FnMut(usize, &[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        debug_assert_eq!(self.next, self.height, "every row pushed");
        while let Some((py, prow)) = self.pending.pop_front() {
            emit(py, &prow)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn y_points_up_and_lines_are_dark() {
        // 2x2: bottom row class 0, top row class 1 with a boundary at bottom-left.
        let flags = [DECISION, 0, 1, 1];
        let img = compose_map(&flags, 2, 2, MapStyle::default());
        // Image row 0 is grid row 1 (top): class 1.
        assert_eq!(&img[0..3], &class_colour(1));
        // Image row 1 is grid row 0: boundary, then class 0.
        assert_eq!(&img[6..9], &BOUNDARY);
        assert_eq!(&img[9..12], &class_colour(0));
        let crossing = compose_map(&[CROSSING, 0, 0, 0], 2, 2, MapStyle { crossings: true });
        assert_ne!(&crossing[6..9], &class_colour(0));
        let plain = compose_map(&[CROSSING, 0, 0, 0], 2, 2, MapStyle::default());
        assert_eq!(&plain[6..9], &class_colour(0));
    }
}
