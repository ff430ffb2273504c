//! The boundary map as an SVG figure (`map -o FIG.svg`): the class regions as an embedded
//! PNG, the decision boundaries and crossings as vector polylines in the model's input
//! units, junctions, data samples, axes with round ticks and the input names, a legend and
//! an optional title.
//!
//! Everything drawn in domain units sits in one group, `<g id="domain" transform=...>`,
//! whose transform maps domain coordinates to the page, so a script reads the lines'
//! points in the model's input units. Each line is a `<polyline class="decision">` or
//! `class="crossing"` with `data-pair="i,j"`. Stroke widths are given in domain units (the
//! pixel width over the geometric mean of the two axes' scales), which every renderer
//! draws alike; `vector-effect` is not used, as librsvg ignores it.

use std::fmt::Write as _;

use faultline_model::Domain;

use crate::class_colour;
use crate::ticks::{label, ticks};

/// A traced line: the pair, whether it is decision boundary, its points (domain units).
#[derive(Debug, Clone)]
pub struct Line {
    /// The pair `(i, j)`.
    pub pair: (usize, usize),
    /// Decision boundary (else a crossing that does not change the winner).
    pub decision: bool,
    /// Vertices in domain units.
    pub points: Vec<(f64, f64)>,
}

/// A sample drawn on the figure.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Position in domain units.
    pub at: (f64, f64),
    /// Its class colour.
    pub colour: [u8; 3],
    /// Drawn as a ring.
    pub misclassified: bool,
}

/// What the figure shows.
pub struct Figure<'a> {
    /// The rectangle shown.
    pub domain: Domain,
    /// The plot area in pixels (the regions image's size).
    pub size: (usize, usize),
    /// The regions as a PNG of `size` (rows top to bottom, y up).
    pub regions_png: &'a [u8],
    /// Traced lines.
    pub lines: &'a [Line],
    /// Junction centroids (domain units).
    pub junctions: &'a [(f64, f64)],
    /// Data samples.
    pub samples: &'a [Sample],
    /// Class names, in class order (colours follow).
    pub classes: &'a [String],
    /// The x and y input names.
    pub axes: [&'a str; 2],
    /// A title above the plot.
    pub title: Option<&'a str>,
    /// The page's width in inches (its height in proportion), for print; `None`: the
    /// page is as many CSS pixels as the plot and its margins.
    pub width_inches: Option<f64>,
}

/// The page size of a figure of `f.size` (CSS pixels: the plot and its margins).
pub fn page_size(size: (usize, usize)) -> (f64, f64) {
    (LEFT + size.0 as f64 + RIGHT, TOP + size.1 as f64 + BOTTOM)
}

/// Margins around the plot: left (tick labels and the y name), bottom, top, right (legend).
const LEFT: f64 = 78.0;
const BOTTOM: f64 = 58.0;
const TOP: f64 = 44.0;
const RIGHT: f64 = 180.0;

/// Escapes text for XML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// Base64 (RFC 4648, padded), for the embedded PNG.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The figure as SVG text.
pub fn svg(f: &Figure) -> String {
    let (w, h) = (f.size.0 as f64, f.size.1 as f64);
    let (page_w, page_h) = (LEFT + w + RIGHT, TOP + h + BOTTOM);
    let [x0, x1] = f.domain.x;
    let [y0, y1] = f.domain.y;
    let (sx, sy) = (w / (x1 - x0), h / (y1 - y0));
    let page = |x: f64, y: f64| (LEFT + (x - x0) * sx, TOP + h - (y - y0) * sy);
    let mut s = String::new();
    let (width, height) = match f.width_inches {
        Some(inches) => (
            format!("{inches}in"),
            format!("{}in", inches * page_h / page_w),
        ),
        None => (page_w.to_string(), page_h.to_string()),
    };
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" height="{height}" viewBox="0 0 {page_w} {page_h}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"#
    );
    // Pixels to domain units for the strokes drawn under the domain transform.
    let unit = 1.0 / (sx * sy).sqrt();
    let _ = writeln!(
        s,
        "<style>polyline {{ fill: none; stroke-linejoin: round; stroke-linecap: round; }} \
         .decision {{ stroke: #1a1a1a; stroke-width: {}; }} .crossing {{ stroke: #ffffff; stroke-width: {}; stroke-opacity: 0.85; }} \
         .tick {{ font-size: 12px; fill: #222; }} .name {{ font-size: 14px; fill: #111; }}</style>",
        1.6 * unit,
        1.0 * unit
    );
    let _ = writeln!(
        s,
        r##"<rect width="{page_w}" height="{page_h}" fill="#ffffff"/>"##
    );
    if let Some(title) = f.title {
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle" font-size="16px" fill="#111">{}</text>"##,
            LEFT + w / 2.0,
            TOP - 16.0,
            escape(title)
        );
    }
    let _ = writeln!(
        s,
        r#"<image x="{LEFT}" y="{TOP}" width="{w}" height="{h}" preserveAspectRatio="none" style="image-rendering: pixelated" xlink:href="data:image/png;base64,{}"/>"#,
        base64(f.regions_png)
    );
    // Domain units to the page: x' = LEFT + (x - x0) sx, y' = TOP + h - (y - y0) sy.
    let _ = writeln!(
        s,
        r#"<g id="domain" transform="matrix({sx} 0 0 {} {} {})">"#,
        -sy,
        LEFT - x0 * sx,
        TOP + h + y0 * sy
    );
    for crossing in [true, false] {
        for line in f.lines.iter().filter(|l| l.decision != crossing) {
            let points: Vec<String> = line
                .points
                .iter()
                .map(|(x, y)| format!("{x},{y}"))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline class="{}" data-pair="{},{}" points="{}"/>"#,
                if line.decision {
                    "decision"
                } else {
                    "crossing"
                },
                line.pair.0,
                line.pair.1,
                points.join(" ")
            );
        }
    }
    let _ = writeln!(s, "</g>");
    // Marks with a size in pixels: placed on the page.
    for &(x, y) in f.junctions {
        let (px, py) = page(x, y);
        let _ = writeln!(
            s,
            r##"<circle class="junction" cx="{px:.2}" cy="{py:.2}" r="3.5" fill="#ffffff" stroke="#1a1a1a" stroke-width="1"/>"##
        );
    }
    for sample in f.samples {
        let (px, py) = page(sample.at.0, sample.at.1);
        let colour = hex(sample.colour);
        if sample.misclassified {
            let _ = writeln!(
                s,
                r##"<circle class="sample misclassified" cx="{px:.2}" cy="{py:.2}" r="4" fill="none" stroke="{colour}" stroke-width="2.2"/>"##
            );
        } else {
            let _ = writeln!(
                s,
                r##"<circle class="sample" cx="{px:.2}" cy="{py:.2}" r="3.5" fill="{colour}" stroke="#191919" stroke-width="0.8"/>"##
            );
        }
    }
    // The frame and the axes' ticks.
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{w}" height="{h}" fill="none" stroke="#222" stroke-width="1"/>"##
    );
    let (xt, xd) = ticks(x0, x1, ((w / 90.0) as usize).clamp(3, 10));
    for v in xt {
        let (px, _) = page(v, y0);
        let _ = writeln!(
            s,
            r##"<line x1="{px:.2}" y1="{}" x2="{px:.2}" y2="{}" stroke="#222"/><text class="tick" x="{px:.2}" y="{}" text-anchor="middle">{}</text>"##,
            TOP + h,
            TOP + h + 5.0,
            TOP + h + 19.0,
            label(v, xd)
        );
    }
    let (yt, yd) = ticks(y0, y1, ((h / 70.0) as usize).clamp(3, 10));
    for v in yt {
        let (_, py) = page(x0, v);
        let _ = writeln!(
            s,
            r##"<line x1="{}" y1="{py:.2}" x2="{LEFT}" y2="{py:.2}" stroke="#222"/><text class="tick" x="{}" y="{:.2}" text-anchor="end">{}</text>"##,
            LEFT - 5.0,
            LEFT - 8.0,
            py + 4.0,
            label(v, yd)
        );
    }
    let _ = writeln!(
        s,
        r#"<text class="name" x="{}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + w / 2.0,
        TOP + h + 42.0,
        escape(f.axes[0])
    );
    let _ = writeln!(
        s,
        r#"<text class="name" transform="translate({} {}) rotate(-90)" text-anchor="middle">{}</text>"#,
        LEFT - 56.0,
        TOP + h / 2.0,
        escape(f.axes[1])
    );
    // The legend: a swatch per class, then the line styles.
    let lx = LEFT + w + 18.0;
    let mut ly = TOP + 8.0;
    for (k, name) in f.classes.iter().enumerate() {
        let _ = writeln!(
            s,
            r##"<rect x="{lx}" y="{ly}" width="14" height="14" fill="{}" stroke="#444" stroke-width="0.5"/><text class="name" x="{}" y="{}">{}</text>"##,
            hex(class_colour(k)),
            lx + 22.0,
            ly + 12.0,
            escape(name)
        );
        ly += 22.0;
    }
    ly += 6.0;
    let _ = writeln!(
        s,
        r##"<line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="#1a1a1a" stroke-width="1.6"/><text class="tick" x="{}" y="{}">decision boundary</text>"##,
        ly + 7.0,
        lx + 14.0,
        ly + 7.0,
        lx + 22.0,
        ly + 11.0
    );
    if f.lines.iter().any(|l| !l.decision) {
        ly += 20.0;
        let _ = writeln!(
            s,
            r##"<rect x="{}" y="{}" width="18" height="10" fill="#888"/><line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="#ffffff" stroke-width="1"/><text class="tick" x="{}" y="{}">other crossing</text>"##,
            lx - 2.0,
            ly + 2.0,
            ly + 7.0,
            lx + 14.0,
            ly + 7.0,
            lx + 22.0,
            ly + 11.0
        );
    }
    let _ = writeln!(s, "</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_escaping() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }

    #[test]
    fn lines_live_in_domain_units_under_one_transform() {
        let lines = [Line {
            pair: (0, 2),
            decision: true,
            points: vec![(10.0, 20.0), (30.0, 40.0)],
        }];
        let f = Figure {
            domain: Domain::new([0.0, 100.0], [0.0, 50.0]).unwrap(),
            size: (200, 100),
            regions_png: b"png",
            lines: &lines,
            junctions: &[(50.0, 25.0)],
            samples: &[],
            classes: &["a".into(), "b".into(), "c".into()],
            axes: ["x1", "x2"],
            title: Some("<S1> & friends"),
            width_inches: None,
        };
        let text = svg(&f);
        assert!(
            text.contains(r#"<polyline class="decision" data-pair="0,2" points="10,20 30,40"/>"#)
        );
        assert!(text.contains("matrix(2 0 0 -2 78 144)"), "{text}");
        assert!(text.contains("&lt;S1&gt; &amp; friends"));
        assert!(!text.contains("<S1>"));
    }
}
