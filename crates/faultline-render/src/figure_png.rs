//! A figure's SVG drawn as pixels by resvg, for `map --figure -o FIG.png`: the same
//! figure as the SVG, text in the font egui ships (no system fonts, so every machine draws
//! it alike).

use std::sync::Arc;

/// The figure SVG `svg` rasterised `width` pixels wide, its height in proportion (RGBA8
/// rows, width, height), or what stopped it.
pub fn rasterize(svg: &str, width: u32) -> Result<(Vec<u8>, u32, u32), String> {
    let mut fonts = resvg::usvg::fontdb::Database::new();
    fonts.load_font_data(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
    let family = fonts
        .faces()
        .next()
        .and_then(|f| f.families.first().map(|(name, _)| name.clone()))
        .ok_or("the bundled font did not load")?;
    fonts.set_sans_serif_family(&family);
    let options = resvg::usvg::Options {
        fontdb: Arc::new(fonts),
        font_family: family,
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| e.to_string())?;
    let size = tree.size();
    let scale = width as f32 / size.width();
    let (w, h) = (
        (size.width() * scale).round().max(1.0) as u32,
        (size.height() * scale).round().max(1.0) as u32,
    );
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| format!("a {w}x{h} figure is too large to draw"))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok((pixmap.take(), w, h))
}
