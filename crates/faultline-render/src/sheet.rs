//! The contact sheet (`faultline neurons`): one small map per hidden neuron and output,
//! layer by layer, each titled, in a diverging colour map centred on the neuron's
//! threshold (blue below, white at it, red above), with its threshold line drawn dark.
//! Dead neurons and dormant outputs are greyed and marked.

use crate::text::Text;

/// One tile: a neuron's (or output's) values on a square grid, rows from y0 up.
#[derive(Debug, Clone)]
pub struct Tile {
    /// `side * side` values, row-major, row 0 at y0 (drawn at the bottom).
    pub values: Vec<f32>,
    /// The value the colour map is centred on (its activation at 0; 1/C for softmax).
    pub threshold: f32,
    /// The title above the tile.
    pub title: String,
    /// `Some("dead")`, `Some("dormant")`: greyed and marked.
    pub mark: Option<&'static str>,
}

/// One row group of the sheet: a layer's title and its tiles.
#[derive(Debug, Clone)]
pub struct Section {
    /// E.g. `layer 0: 8 relu`.
    pub title: String,
    /// Its tiles, in neuron order.
    pub tiles: Vec<Tile>,
}

/// Space around tiles, in pixels.
const GAP: usize = 10;
/// The title line above each tile.
const TITLE: usize = 18;
/// A section's heading line.
const HEADING: usize = 24;

/// Blue, white and red of the diverging map (ColorBrewer RdBu's ends and middle).
const LOW: [f32; 3] = [33.0, 102.0, 172.0];
const MID: [f32; 3] = [247.0, 247.0, 247.0];
const HIGH: [f32; 3] = [178.0, 24.0, 43.0];

/// The colour of `t` in -1..1.
fn diverging(t: f32) -> [u8; 3] {
    let t = t.clamp(-1.0, 1.0);
    let (from, to, s) = if t < 0.0 {
        (MID, LOW, -t)
    } else {
        (MID, HIGH, t)
    };
    [0, 1, 2].map(|c| (from[c] + (to[c] - from[c]) * s).round() as u8)
}

/// Draws the sheet: sections top to bottom, at most `columns` tiles of `side` pixels per
/// row. Returns the RGB8 image and its size.
pub fn contact_sheet(sections: &[Section], side: usize, columns: usize) -> (Vec<u8>, usize, usize) {
    let columns = columns.max(1);
    let cell_w = side + GAP;
    let cell_h = TITLE + side + GAP;
    let widest = sections
        .iter()
        .map(|s| s.tiles.len().min(columns))
        .max()
        .unwrap_or(1)
        .max(1);
    let width = GAP + widest * cell_w;
    let height = GAP
        + sections
            .iter()
            .map(|s| HEADING + s.tiles.len().div_ceil(columns).max(1) * cell_h)
            .sum::<usize>();
    let mut image = vec![255u8; width * height * 3];
    let text = Text::new();
    let mut y = GAP;
    for section in sections {
        text.draw(
            &mut image,
            width,
            height,
            (GAP as f32, y as f32),
            16.0,
            [20, 20, 20],
            &section.title,
        );
        y += HEADING;
        for (k, tile) in section.tiles.iter().enumerate() {
            let (col, row) = (k % columns, k / columns);
            let (x0, y0) = (GAP + col * cell_w, y + row * cell_h);
            let colour = if tile.mark.is_some() {
                [170, 30, 30]
            } else {
                [40, 40, 40]
            };
            let title = match tile.mark {
                Some(mark) => format!("{} ({mark})", tile.title),
                None => tile.title.clone(),
            };
            text.draw(
                &mut image,
                width,
                height,
                (x0 as f32, y0 as f32),
                12.0,
                colour,
                &title,
            );
            draw_tile(&mut image, width, (x0, y0 + TITLE), side, tile);
        }
        y += section.tiles.len().div_ceil(columns).max(1) * cell_h;
    }
    (image, width, height)
}

/// One tile's pixels at `(x0, y0)`: the values resampled to `side` pixels (nearest).
fn draw_tile(image: &mut [u8], width: usize, (x0, y0): (usize, usize), side: usize, tile: &Tile) {
    let n = (tile.values.len() as f64).sqrt() as usize;
    if n == 0 {
        return;
    }
    let scale = tile
        .values
        .iter()
        .map(|v| (v - tile.threshold).abs())
        .fold(0.0f32, f32::max)
        .max(1e-12);
    let at = |r: usize, c: usize| tile.values[r * n + c];
    for py in 0..side {
        // Row 0 of the values is y0: the bottom of the tile.
        let r = (side - 1 - py) * n / side;
        for px in 0..side {
            let c = px * n / side;
            let v = at(r, c);
            let mut rgb = diverging((v - tile.threshold) / scale);
            // The threshold line: where the side of the threshold changes to a neighbour.
            let above = v > tile.threshold;
            let crosses = (c + 1 < n && (at(r, c + 1) > tile.threshold) != above)
                || (r + 1 < n && (at(r + 1, c) > tile.threshold) != above);
            if crosses {
                rgb = [30, 30, 30];
            }
            if tile.mark.is_some() {
                rgb = rgb.map(|v| ((u16::from(v) + 2 * 200) / 3) as u8);
            }
            let i = ((y0 + py) * width + x0 + px) * 3;
            image[i..i + 3].copy_from_slice(&rgb);
        }
    }
    // A thin frame.
    for k in 0..side {
        for (px, py) in [
            (x0 + k, y0),
            (x0 + k, y0 + side - 1),
            (x0, y0 + k),
            (x0 + side - 1, y0 + k),
        ] {
            let i = (py * width + px) * 3;
            image[i..i + 3].copy_from_slice(&[120, 120, 120]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_are_laid_out_and_coloured() {
        let n = 16;
        let ramp: Vec<f32> = (0..n * n).map(|i| (i % n) as f32 - 7.5).collect();
        let tile = |mark| Tile {
            values: ramp.clone(),
            threshold: 0.0,
            title: "n".into(),
            mark,
        };
        let sections = [
            Section {
                title: "layer 0".into(),
                tiles: vec![tile(None), tile(Some("dead")), tile(None)],
            },
            Section {
                title: "outputs".into(),
                tiles: vec![tile(None)],
            },
        ];
        let (image, w, h) = contact_sheet(&sections, 64, 2);
        assert_eq!(w, GAP + 2 * (64 + GAP));
        assert_eq!(
            h,
            GAP + (HEADING + 2 * (TITLE + 64 + GAP)) + (HEADING + TITLE + 64 + GAP)
        );
        let px = |x: usize, y: usize| &image[(y * w + x) * 3..(y * w + x) * 3 + 3];
        // First tile: blue on the left, red on the right, a dark line in the middle.
        let y = GAP + HEADING + TITLE + 32;
        assert!(
            px(GAP + 4, y)[2] > px(GAP + 4, y)[0],
            "{:?}",
            px(GAP + 4, y)
        );
        assert!(
            px(GAP + 60, y)[0] > px(GAP + 60, y)[2],
            "{:?}",
            px(GAP + 60, y)
        );
        assert!((0..64).any(|x| px(GAP + x, y) == [30, 30, 30]));
    }
}
