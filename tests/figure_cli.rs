//! `map -o FIG.svg`: the figure's vector boundaries lie on the network's own crossings
//! (float64 distance over the gradient, in cells) and cover every decision cell of the
//! raster; markup in a title is escaped; the SVG renders where rsvg-convert is installed.

mod common;

use std::path::Path;
use std::process::Command;

use common::{fails, ok, read_f64, s};
use faultline_model::random::random_mlp;
use faultline_model::{Activation, Domain, Mlp, ModelMetadata};

/// One polyline of a figure: its class, its pair, its points in domain units.
type Polyline = (String, (usize, usize), Vec<(f64, f64)>);

/// The polylines of a figure.
fn polylines(svg: &str) -> Vec<Polyline> {
    svg.lines()
        .filter(|l| l.starts_with("<polyline"))
        .map(|l| {
            let attr = |name: &str| {
                let start = l.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                l[start..start + l[start..].find('"').unwrap()].to_string()
            };
            let pair: Vec<usize> = attr("data-pair")
                .split(',')
                .map(|v| v.parse().unwrap())
                .collect();
            let points = attr("points")
                .split(' ')
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            (attr("class"), (pair[0], pair[1]), points)
        })
        .collect()
}

fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
}

fn check_figure(dir: &Path, model: &Path, domain: Domain, size: usize) {
    let svg_path = dir.join("fig.svg");
    let flag = format!(
        "--domain={},{},{},{}",
        domain.x[0], domain.x[1], domain.y[0], domain.y[1]
    );
    let size_flag = size.to_string();
    ok(&[
        "map",
        s(model),
        "--size",
        &size_flag,
        &flag,
        "--crossings",
        "-o",
        s(&svg_path),
    ]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let lines = polylines(&svg);
    assert!(
        lines.iter().any(|(class, _, _)| class == "decision"),
        "no decision lines"
    );
    let mlp = faultline_model::io::load(model).unwrap();
    let cell = (domain.x[1] - domain.x[0]) / (size - 1) as f64;
    let cell_y = (domain.y[1] - domain.y[0]) / (size - 1) as f64;
    let d = |x: f64, y: f64, (i, j): (usize, usize)| {
        let z = mlp.forward_f64(&[x, y]);
        if z.len() == 1 {
            z[0] - f64::from(mlp.threshold())
        } else {
            z[i] - z[j]
        }
    };
    let mut worst = 0.0f64;
    for (_, pair, points) in &lines {
        for &(x, y) in points {
            let e = 1e-6 * cell;
            let v = d(x, y, *pair);
            let gx = (d(x + e, y, *pair) - d(x - e, y, *pair)) / (2.0 * e);
            let gy = (d(x, y + e, *pair) - d(x, y - e, *pair)) / (2.0 * e);
            let off = v.abs() / gx.hypot(gy).max(1e-300) / cell.min(cell_y);
            worst = worst.max(off);
        }
    }
    assert!(
        worst <= 1e-3,
        "{}: a vertex {worst} cells from its crossing",
        model.display()
    );
    // Every decision cell of the raster has a decision polyline within 1.5 cells.
    let decision = dir.join("decision.npy");
    ok(&[
        "eval",
        s(model),
        "--size",
        &size_flag,
        &flag,
        "--decision",
        s(&decision),
    ]);
    let (_, cells) = read_f64(&decision);
    let segments: Vec<((f64, f64), (f64, f64))> = lines
        .iter()
        .filter(|(class, _, _)| class == "decision")
        .flat_map(|(_, _, p)| p.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>())
        .collect();
    let grid = faultline_model::GridSpec::new(domain, size, size).unwrap();
    let mut far = 0.0f64;
    for (k, &v) in cells.iter().enumerate() {
        if v == 0.0 {
            continue;
        }
        let p = (grid.x(k % size), grid.y(k / size));
        let near = segments
            .iter()
            .map(|&(a, b)| distance_to_segment(p, a, b))
            .fold(f64::INFINITY, f64::min);
        far = far.max(near / cell.max(cell_y));
    }
    assert!(
        far <= 1.5,
        "{}: a decision cell {far} cells from every line",
        model.display()
    );
    if Command::new("rsvg-convert")
        .arg("--version")
        .output()
        .is_ok()
    {
        let png = dir.join("fig.png");
        let out = Command::new("rsvg-convert")
            .args([s(&svg_path), "-o", s(&png)])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let image = image::open(&png).unwrap();
        assert!(image.width() > size as u32);
    }
}

#[test]
fn vector_boundaries_lie_on_the_network() {
    let dir = tempfile::tempdir().unwrap();
    check_figure(
        dir.path(),
        Path::new("tests/fixtures/seed_233.safetensors"),
        Domain::new([0.0, 255.0], [0.0, 255.0]).unwrap(),
        256,
    );
    let tanh = random_mlp(
        &[2, 16, 16, 4],
        Activation::Tanh,
        Activation::Identity,
        5,
        1.5,
    );
    let path = dir.path().join("tanh.safetensors");
    let mlp = Mlp::new(tanh.layers().to_vec(), ModelMetadata::default()).unwrap();
    faultline_model::io::save(&mlp, &path).unwrap();
    check_figure(
        dir.path(),
        &path,
        Domain::new([-2.0, 2.0], [-1.5, 1.5]).unwrap(),
        200,
    );
}

#[test]
fn titles_are_escaped_and_labels_named() {
    let dir = tempfile::tempdir().unwrap();
    let svg_path = dir.path().join("t.svg");
    ok(&[
        "map",
        "tests/fixtures/seed_233.safetensors",
        "--size",
        "64",
        "--title",
        "a <b> & \"c\"",
        "-o",
        s(&svg_path),
    ]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.contains("a &lt;b&gt; &amp; &quot;c&quot;") && !svg.contains("<b>"));
    assert!(svg.contains(r#"<g id="domain" transform="matrix("#));
    for name in ["white", "black", "grey", "x1", "x2"] {
        assert!(svg.contains(&format!(">{name}<")), "{name}");
    }
    let line = fails(&[
        "map",
        "tests/fixtures/seed_233.safetensors",
        "--size",
        "64",
        "--title",
        "t",
        "-o",
        s(&dir.path().join("t.png")),
    ]);
    assert!(line.contains("are for figures"), "{line}");
}

#[test]
fn a_figure_png_is_the_svg_drawn_at_its_dpi() {
    let dir = tempfile::tempdir().unwrap();
    let model = "tests/fixtures/seed_233.safetensors";
    let png_path = dir.path().join("f.png");
    let out = ok(&[
        "map",
        model,
        "--size",
        "200",
        "--figure",
        "--dpi",
        "192",
        "--title",
        "S1",
        "-o",
        s(&png_path),
    ]);
    // The page is the plot (200^2) and its margins (78 + 180 by 44 + 58): 458x302 CSS
    // pixels, twice that at 192 dpi.
    assert!(
        out.contains("916x604 pixels, 4.77x3.15 in at 192 dpi"),
        "{out}"
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let reader = decoder.read_info().unwrap();
    let dims = reader.info().pixel_dims.expect("a pHYs chunk");
    assert_eq!(dims.xppu, (192.0f64 / 0.0254).round() as u32);
    let image = image::open(&png_path).unwrap().to_rgb8();
    assert_eq!(image.dimensions(), (916, 604));
    // The plot area shows the classes in their colours where the raster map does: sample
    // the map's grid at cell centres away from the lines.
    let map = dir.path().join("m.png");
    ok(&["map", model, "--size", "200", "-o", s(&map)]);
    let raster = image::open(&map).unwrap().to_rgb8();
    let colours: Vec<[u8; 3]> = (0..3).map(faultline_render::class_colour).collect();
    let (mut agree, mut checked) = (0, 0);
    for r in (5..200).step_by(10) {
        for c in (5..200).step_by(10) {
            let want = raster.get_pixel(c, r).0;
            if !colours.contains(&want) {
                continue; // a boundary or junction pixel
            }
            checked += 1;
            let got = image.get_pixel(2 * (78 + c) + 1, 2 * (44 + r) + 1).0;
            agree += usize::from(got.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 8));
        }
    }
    assert!(
        checked > 300 && agree as f64 >= 0.97 * checked as f64,
        "{agree} of {checked}"
    );
    // The decision lines are dark strokes across it; the title and labels are text.
    let dark = image
        .pixels()
        .filter(|p| p.0.iter().all(|&v| v < 60))
        .count();
    assert!(dark > 2000, "{dark} dark pixels");
    for (args, what) in [
        (vec!["--figure", "--dpi", "5"], "--dpi 5"),
        (vec!["--figure", "--inches", "-1"], "--inches -1"),
        (
            vec!["--figure", "--dpi", "2400", "--inches", "20"],
            "pixels across",
        ),
    ] {
        let mut all = vec!["map", model, "--size", "64", "-o", s(&png_path)];
        all.extend(args);
        let line = fails(&all);
        assert!(line.contains(what), "{line}");
    }
}
