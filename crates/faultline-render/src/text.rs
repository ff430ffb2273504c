//! Text drawn into RGB8 images on the CPU (contact sheets, figures), with the Ubuntu
//! Light face egui ships (`epaint_default_fonts`), rasterised by `ab_glyph`.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

/// A face to draw text with.
pub struct Text {
    font: FontRef<'static>,
}

impl Default for Text {
    fn default() -> Text {
        Text::new()
    }
}

impl Text {
    /// The Ubuntu Light face.
    pub fn new() -> Text {
        Text {
            font: FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT)
                .expect("the bundled font parses"),
        }
    }

    /// The width of `text` at `px` pixels.
    pub fn width(&self, px: f32, text: &str) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(px));
        text.chars()
            .map(|c| scaled.h_advance(self.font.glyph_id(c)))
            .sum()
    }

    /// Draws `text` with its top-left corner at `(x, y)` at `px` pixels in `colour` into
    /// the RGB8 `image` (`width` pixels per row), clipped to the image.
    #[allow(clippy::too_many_arguments)]
    pub fn draw(
        &self,
        image: &mut [u8],
        width: usize,
        height: usize,
        (x, y): (f32, f32),
        px: f32,
        colour: [u8; 3],
        text: &str,
    ) {
        let scaled = self.font.as_scaled(PxScale::from(px));
        let baseline = y + scaled.ascent();
        let mut pen = x;
        for c in text.chars() {
            let id = self.font.glyph_id(c);
            let glyph = id.with_scale_and_position(PxScale::from(px), point(pen, baseline));
            pen += scaled.h_advance(id);
            let Some(outlined) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                let (px, py) = (
                    bounds.min.x as i64 + gx as i64,
                    bounds.min.y as i64 + gy as i64,
                );
                if px < 0 || py < 0 || px as usize >= width || py as usize >= height {
                    return;
                }
                let at = (py as usize * width + px as usize) * 3;
                let a = coverage.clamp(0.0, 1.0);
                for ch in 0..3 {
                    let under = f32::from(image[at + ch]);
                    image[at + ch] = (under + (f32::from(colour[ch]) - under) * a).round() as u8;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_leaves_ink_where_it_is_drawn() {
        let (w, h) = (120, 30);
        let mut image = vec![255u8; w * h * 3];
        let text = Text::new();
        text.draw(&mut image, w, h, (4.0, 4.0), 16.0, [0, 0, 0], "layer 0");
        let dark = image.chunks(3).filter(|p| p[0] < 128).count();
        assert!(dark > 40, "{dark} dark pixels");
        assert!(text.width(16.0, "layer 0") > 30.0);
        // Clipped at the edges, never out of bounds.
        text.draw(&mut image, w, h, (110.0, 25.0), 16.0, [0, 0, 0], "WWWW");
    }
}
