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
/// grid row H-1) from per-cell flags (class | DECISION | JUNCTION | CROSSING).
pub fn compose_map(flags: &[u32], width: usize, height: usize, style: MapStyle) -> Vec<u8> {
    assert_eq!(flags.len(), width * height, "one flag per cell");
    let mut image = vec![0u8; width * height * 3];
    for r in 0..height {
        let image_row = height - 1 - r;
        for c in 0..width {
            let f = flags[r * width + c];
            let mut colour = class_colour((f & CLASS_MASK) as usize);
            if f & DECISION != 0 {
                colour = BOUNDARY;
            } else if style.crossings && f & CROSSING != 0 {
                // A lighter line: the class colour halfway to white.
                colour = colour.map(|v| ((u16::from(v) + 255) / 2) as u8);
            }
            let at = (image_row * width + c) * 3;
            image[at..at + 3].copy_from_slice(&colour);
        }
    }
    mark_junctions(&mut image, flags, width, height);
    image
}

/// Draws a disc over junction cells, radius growing with the image; nearby junction cells
/// share one marker.
fn mark_junctions(image: &mut [u8], flags: &[u32], width: usize, height: usize) {
    let radius = (width.min(height) / 160).clamp(2, 24) as isize;
    let mut drawn: Vec<(isize, isize)> = Vec::new();
    for r in 0..height {
        for c in 0..width {
            if flags[r * width + c] & JUNCTION == 0 {
                continue;
            }
            let (x, y) = (c as isize, (height - 1 - r) as isize);
            if drawn
                .iter()
                .any(|&(dx, dy)| (dx - x).abs() <= radius && (dy - y).abs() <= radius)
            {
                continue;
            }
            if drawn.len() >= 10_000 {
                return;
            }
            drawn.push((x, y));
            for py in y - radius - 1..=y + radius + 1 {
                for px in x - radius - 1..=x + radius + 1 {
                    if px < 0 || py < 0 || px >= width as isize || py >= height as isize {
                        continue;
                    }
                    let d2 = (px - x).pow(2) + (py - y).pow(2);
                    let colour = if d2 <= radius * radius {
                        MARKER_FILL
                    } else if d2 <= (radius + 1) * (radius + 1) {
                        BOUNDARY
                    } else {
                        continue;
                    };
                    let at = (py as usize * width + px as usize) * 3;
                    image[at..at + 3].copy_from_slice(&colour);
                }
            }
        }
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
