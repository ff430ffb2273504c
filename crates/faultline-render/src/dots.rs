//! Data samples drawn on a map (`--data`): each a disc in its class colour with a dark
//! outline; a misclassified sample a ring in its true class's colour, the region the
//! model gives it showing through the middle. On a landscape ([`SampleDots`]) the same
//! marks sit on the highest surface where each sample lies.

use faultline_model::samples::Samples;
use faultline_model::{Domain, Mlp, Plane};

/// A sample on a landscape, in plane coordinates, at the height of the highest surface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SceneDot {
    /// Plane coordinate along x.
    pub s: f64,
    /// Plane coordinate along y.
    pub t: f64,
    /// The highest output there (for a one-output model, at least its threshold).
    pub z: f32,
    /// The sample's class colour.
    pub colour: [u8; 3],
    /// Whether the model's class for it differs from its label.
    pub misclassified: bool,
}

/// Data samples to show on a landscape whose plane may move (the viewer's slices): what
/// is drawn is recomputed for each plane.
#[derive(Debug, Clone)]
pub struct SampleDots {
    /// The samples, one value per input of the original model.
    pub samples: Samples,
    /// Each sample's colour.
    pub colours: Vec<[u8; 3]>,
    /// Whether the model misclassifies each sample.
    pub misclassified: Vec<bool>,
    /// The largest distance from the plane at which a sample is drawn.
    pub near: f64,
}

impl SampleDots {
    /// The samples within `near` of `plane` (none: a two-input model) inside `domain`,
    /// on the surfaces of `mlp` (the model on that plane).
    pub fn on(&self, plane: Option<&Plane>, domain: &Domain, mlp: &Mlp) -> Vec<SceneDot> {
        self.samples
            .near(plane, self.near, domain)
            .into_iter()
            .map(|(i, s, t)| {
                let top = mlp
                    .forward_f64(&[s, t])
                    .into_iter()
                    .fold(f64::NEG_INFINITY, f64::max);
                let top = if mlp.outputs() == 1 {
                    top.max(f64::from(mlp.threshold()))
                } else {
                    top
                };
                SceneDot {
                    s,
                    t,
                    z: top as f32,
                    colour: self.colours[i],
                    misclassified: self.misclassified[i],
                }
            })
            .collect()
    }
}

/// One sample on the image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dot {
    /// Column in pixels (0 at the left edge's centre).
    pub x: f64,
    /// Row in pixels (0 at the top row's centre).
    pub y: f64,
    /// The sample's class colour.
    pub colour: [u8; 3],
    /// Whether the model's class for it differs from its label.
    pub misclassified: bool,
}

/// The dark outline around each dot.
pub const OUTLINE: [u8; 3] = [25, 25, 25];

/// A dot's radius in pixels for a `width × height` image: legible at any size.
pub fn radius_for(width: usize, height: usize) -> f64 {
    (width.min(height) as f64 / 150.0).clamp(2.5, 12.0)
}

/// Pales the map's colours towards white (by `amount`, 0 to 1) so dots in the full class
/// colours stand out from the regions they lie in, as scatter plots over decision regions
/// usually are.
pub fn pale(image: &mut [u8], amount: f64) {
    for v in image.iter_mut() {
        *v = (f64::from(*v) + (255.0 - f64::from(*v)) * amount).round() as u8;
    }
}

/// Draws `dots` into the RGB8 `image` (rows top to bottom), later dots over earlier ones.
pub fn draw_dots(image: &mut [u8], width: usize, height: usize, dots: &[Dot], radius: f64) {
    draw_dots_on_rows(image, width, 0..height, dots, radius);
}

/// [`draw_dots`] onto the image rows `rows` only, held in `band` (its first row is image
/// row `rows.start`): how a map written band by band draws its samples.
pub fn draw_dots_on_rows(
    band: &mut [u8],
    width: usize,
    rows: std::ops::Range<usize>,
    dots: &[Dot],
    radius: f64,
) {
    let line = (radius / 4.0).max(1.0);
    if rows.is_empty() || width == 0 {
        return;
    }
    let (top, bottom) = (rows.start as f64, (rows.end - 1) as f64);
    for dot in dots {
        let reach = radius + line;
        let (c0, c1) = (
            (dot.x - reach).floor().max(0.0),
            (dot.x + reach).ceil().min(width as f64 - 1.0),
        );
        let (r0, r1) = (
            (dot.y - reach).floor().max(top),
            (dot.y + reach).ceil().min(bottom),
        );
        if c1 < c0 || r1 < r0 {
            continue;
        }
        let hole = radius * 0.45;
        for r in r0 as usize..=r1 as usize {
            for c in c0 as usize..=c1 as usize {
                let d = ((c as f64 - dot.x).powi(2) + (r as f64 - dot.y).powi(2)).sqrt();
                let colour = if d > radius + line / 2.0 {
                    continue;
                } else if d > radius - line / 2.0 {
                    OUTLINE
                } else if !dot.misclassified || d > hole + line / 2.0 {
                    dot.colour
                } else if d > hole - line / 2.0 {
                    OUTLINE
                } else {
                    continue;
                };
                let at = ((r - rows.start) * width + c) * 3;
                band[at..at + 3].copy_from_slice(&colour);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(image: &[u8], width: usize, x: usize, y: usize) -> [u8; 3] {
        let at = (y * width + x) * 3;
        [image[at], image[at + 1], image[at + 2]]
    }

    #[test]
    fn discs_rings_and_the_image_edge() {
        let (w, h) = (40, 20);
        let mut image = vec![200u8; w * h * 3];
        let dots = [
            Dot {
                x: 10.0,
                y: 10.0,
                colour: [255, 0, 0],
                misclassified: false,
            },
            Dot {
                x: 30.0,
                y: 10.0,
                colour: [0, 0, 255],
                misclassified: true,
            },
            Dot {
                x: -1.0,
                y: 19.5,
                colour: [0, 255, 0],
                misclassified: false,
            },
        ];
        draw_dots(&mut image, w, h, &dots, 6.0);
        assert_eq!(pixel(&image, w, 10, 10), [255, 0, 0]);
        assert_eq!(pixel(&image, w, 16, 10), OUTLINE);
        assert_eq!(
            pixel(&image, w, 30, 10),
            [200, 200, 200],
            "a ring's middle shows the map"
        );
        assert_eq!(pixel(&image, w, 34, 10), [0, 0, 255]);
        assert_eq!(pixel(&image, w, 20, 10), [200, 200, 200]);
        assert_eq!(pixel(&image, w, 0, 19), [0, 255, 0]);
        pale(&mut image, 0.5);
        assert_eq!(pixel(&image, w, 10, 10), [255, 128, 128]);
    }
}
