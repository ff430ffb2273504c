//! `render --theme light` (a white background, dark text) and `--contours N` (iso-lines on
//! the surfaces): opt-in, so the default picture is the reference images' one.

mod common;

use common::{fails, ok, s};

fn render(dir: &std::path::Path, name: &str, extra: &[&str]) -> image::RgbImage {
    let path = dir.join(name);
    let mut args = vec![
        "render",
        "tests/fixtures/seed_233.safetensors",
        "--width",
        "480",
        "--height",
        "270",
        "--resolution",
        "96",
        "-o",
        s(&path),
    ];
    args.extend_from_slice(extra);
    ok(&args);
    image::open(&path).unwrap().to_rgb8()
}

#[test]
fn the_light_theme_and_contours_change_what_they_should() {
    if !common::gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dark = render(dir.path(), "dark.png", &[]);
    let light = render(dir.path(), "light.png", &["--theme", "light"]);
    let share = |img: &image::RgbImage, f: &dyn Fn(&[u8; 3]) -> bool| {
        img.pixels().filter(|p| f(&p.0)).count() as f64 / (img.width() * img.height()) as f64
    };
    let white = |p: &[u8; 3]| p.iter().all(|&v| v >= 250);
    assert_eq!(
        light.get_pixel(479, 269).0,
        [255, 255, 255],
        "the background is white"
    );
    assert!(share(&light, &white) > 0.3, "{}", share(&light, &white));
    assert!(share(&dark, &white) < 0.01);
    // The same landscape (the surfaces are see-through, so their colours take some of the
    // background): it covers the same pixels in both.
    let dark_bg = *dark.get_pixel(479, 269);
    let differ = dark
        .pixels()
        .zip(light.pixels())
        .filter(|(a, b)| (**a == dark_bg) != white(&b.0))
        .count();
    let pixels = (dark.width() * dark.height()) as usize;
    assert!(
        differ < pixels / 50,
        "{differ} of {pixels} pixels are background in one only"
    );

    // Iso-lines darken the surfaces along round z values, and nothing else changes.
    let contours = render(dir.path(), "contours.png", &["--contours", "8"]);
    let (mut darker, mut lighter) = (0, 0);
    for (a, b) in dark.pixels().zip(contours.pixels()) {
        let (sa, sb): (u32, u32) = (
            a.0.iter().map(|&v| u32::from(v)).sum(),
            b.0.iter().map(|&v| u32::from(v)).sum(),
        );
        if sb + 30 < sa {
            darker += 1;
        } else if sa + 30 < sb && sa > 300 {
            // (a dark line seen through a surface may turn the iso-lines' grey)
            lighter += 1;
        }
    }
    assert!(darker > 300, "{darker} pixels darkened by the iso-lines");
    assert!(lighter < darker / 20, "{lighter} lightened");

    let line = fails(&[
        "render",
        "tests/fixtures/seed_233.safetensors",
        "--theme",
        "pink",
        "-o",
        s(&dir.path().join("x.png")),
    ]);
    assert!(line.contains("pink") && line.contains("light"), "{line}");
}
