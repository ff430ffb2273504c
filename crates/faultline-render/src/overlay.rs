//! Text and panels over a frame, with egui: the axis names and ranges and the class
//! legend of a landscape ([`annotate`]), and whatever UI a caller adds (the viewer's
//! panel). The same [`Overlay`] draws into a window's surface or an offscreen texture.

use glam::{Vec3, Vec4};

use crate::landscape::{AXIS_LENGTH, FLOOR_DROP};
use crate::{Camera, Scene, ViewOptions, class_colour};

/// Image height at which text is drawn at 1 pixel per point; taller images scale it up,
/// so a 4K render has the same proportions as a 720p one.
const REFERENCE_HEIGHT: f32 = 720.0;

/// Points per pixel for text on an image `height` pixels tall.
pub fn pixels_per_point(height: u32) -> f32 {
    (height as f32 / REFERENCE_HEIGHT).max(1.0)
}

/// An egui context and its wgpu renderer for one colour format.
pub struct Overlay {
    /// The egui context (callers build their UI with it).
    pub context: egui::Context,
    renderer: egui_wgpu::Renderer,
}

impl Overlay {
    /// An overlay for targets of `format`.
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> Overlay {
        let context = egui::Context::default();
        context.set_visuals(egui::Visuals::dark());
        Overlay {
            context,
            renderer: egui_wgpu::Renderer::new(device, format, Default::default()),
        }
    }

    /// Runs `ui` for one frame of `input` (its screen rectangle in points) and records
    /// drawing the result over `target` (`size` pixels, loaded, not cleared). Returns
    /// what egui asks of the platform (cursor, repaint).
    #[allow(clippy::too_many_arguments)]
    pub fn draw(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        size: (u32, u32),
        input: egui::RawInput,
        ui: impl FnMut(&egui::Context),
    ) -> egui::FullOutput {
        let mut output = self.context.run_pass(input, ui);
        let pixels_per_point = output.pixels_per_point;
        let primitives = self
            .context
            .tessellate(std::mem::take(&mut output.shapes), pixels_per_point);
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: [size.0, size.1],
            pixels_per_point,
        };
        for (id, deltas) in &output.textures_delta.set {
            for delta in deltas {
                self.renderer.update_texture(device, queue, *id, delta);
            }
        }
        let extra = self
            .renderer
            .update_buffers(device, queue, encoder, &primitives, &screen);
        if !extra.is_empty() {
            queue.submit(extra);
        }
        {
            let mut pass = encoder
                .begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("overlay"),
                    color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                        view: target,
                        depth_slice: None,
                        resolve_target: None,
                        ops: wgpu::Operations {
                            load: wgpu::LoadOp::Load,
                            store: wgpu::StoreOp::Store,
                        },
                    })],
                    depth_stencil_attachment: None,
                    timestamp_writes: None,
                    occlusion_query_set: None,
                    multiview_mask: None,
                })
                .forget_lifetime();
            self.renderer.render(&mut pass, &primitives, &screen);
        }
        for id in &output.textures_delta.free {
            self.renderer.free_texture(id);
        }
        output.textures_delta.clear();
        output
    }

    /// Input for an offscreen frame of `size` pixels: no events, text scaled with height.
    pub fn offscreen_input(size: (u32, u32)) -> egui::RawInput {
        let pixels_per_point = pixels_per_point(size.1);
        let mut input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(size.0 as f32, size.1 as f32) / pixels_per_point,
            )),
            ..Default::default()
        };
        input
            .viewports
            .entry(egui::ViewportId::ROOT)
            .or_default()
            .native_pixels_per_point = Some(pixels_per_point);
        input
    }
}

/// Paints the axis names and ranges at the axes' ends and the class legend in the top
/// left corner, for `scene` seen by `camera` in an image of `size` pixels.
pub fn annotate(
    context: &egui::Context,
    scene: &Scene,
    camera: &Camera,
    view: &ViewOptions,
    size: (u32, u32),
) {
    let painter = context.layer_painter(egui::LayerId::background());
    let screen = context.content_rect();
    let view_proj = camera.view_proj(size.0 as f32 / size.1.max(1) as f32);
    // World position to a point in the image (None behind the camera).
    let to_screen = |p: Vec3| -> Option<egui::Pos2> {
        let clip = view_proj * Vec4::new(p.x, p.y, p.z, 1.0);
        (clip.w > 1e-4).then(|| {
            let ndc = clip.truncate() / clip.w;
            egui::pos2(
                screen.min.x + (ndc.x + 1.0) * 0.5 * screen.width(),
                screen.min.y + (1.0 - ndc.y) * 0.5 * screen.height(),
            )
        })
    };
    let font = egui::FontId::proportional(13.0);
    let small = egui::FontId::proportional(11.0);
    let text = |at: Option<egui::Pos2>, anchor, s: String, font: &egui::FontId, colour| {
        if let Some(at) = at.filter(|p| screen.expand(40.0).contains(*p)) {
            painter.text(at, anchor, s, font.clone(), colour);
        }
    };
    // The axes' colours (red, green, blue), readable on the theme's background.
    let axis_colours = view.theme.axes();
    let grey = view.theme.text();
    let [x_name, y_name] = &scene.input_names;
    let floor = -FLOOR_DROP * view.height_scale;
    let origin = Vec3::new(-1.0, floor, 1.0);
    let tips = [
        origin + Vec3::X * AXIS_LENGTH,
        origin - Vec3::Z * AXIS_LENGTH,
        origin + Vec3::Y * (1.1 * view.height_scale),
    ];
    let names = [x_name.as_str(), y_name.as_str(), "output z"];
    for (axis, (tip, name)) in tips.iter().zip(names).enumerate() {
        let anchor = if axis == 2 {
            egui::Align2::CENTER_BOTTOM
        } else {
            egui::Align2::LEFT_CENTER
        };
        text(
            to_screen(*tip),
            anchor,
            name.to_string(),
            &font,
            axis_colours[axis],
        );
    }
    let fmt = format_value;
    let [x0, x1] = scene.domain.x;
    let [y0, y1] = scene.domain.y;
    // Ranges: the first and last sample along each input axis, the height's extremes.
    let below = Vec3::new(0.0, -0.02, 0.0);
    text(
        to_screen(origin + below + Vec3::X * 0.08),
        egui::Align2::CENTER_TOP,
        fmt(x0),
        &small,
        grey,
    );
    text(
        to_screen(Vec3::new(1.0, floor, 1.0) + below),
        egui::Align2::CENTER_TOP,
        fmt(x1),
        &small,
        grey,
    );
    text(
        to_screen(origin + below - Vec3::Z * 0.12 - Vec3::X * 0.02),
        egui::Align2::RIGHT_CENTER,
        fmt(y0),
        &small,
        grey,
    );
    text(
        to_screen(Vec3::new(-1.0, floor, -1.0) + below),
        egui::Align2::RIGHT_CENTER,
        fmt(y1),
        &small,
        grey,
    );
    let [z0, z1] = scene.z_range;
    text(
        to_screen(origin + Vec3::new(-0.03, -floor, 0.0)),
        egui::Align2::RIGHT_CENTER,
        fmt(f64::from(z0)),
        &small,
        grey,
    );
    text(
        to_screen(origin + Vec3::new(-0.03, view.height_scale, 0.0)),
        egui::Align2::RIGHT_CENTER,
        fmt(f64::from(z1)),
        &small,
        grey,
    );

    // Data samples: a disc (a ring when misclassified) on the highest surface.
    let radius = 3.5;
    let outline = egui::Stroke::new(1.0, egui::Color32::from_gray(25));
    for dot in &scene.dots {
        let world = Vec3::new(
            (-1.0 + 2.0 * (dot.s - x0) / (x1 - x0)) as f32,
            (dot.z - z0) / (z1 - z0).max(1e-12) * view.height_scale,
            (1.0 - 2.0 * (dot.t - y0) / (y1 - y0)) as f32,
        );
        let Some(at) = to_screen(world).filter(|p| screen.contains(*p)) else {
            continue;
        };
        let [r, g, b] = dot.colour;
        let colour = egui::Color32::from_rgb(r, g, b);
        if dot.misclassified {
            painter.circle_stroke(
                at,
                radius + 1.0,
                egui::Stroke::new(3.0, egui::Color32::from_gray(25)),
            );
            painter.circle_stroke(at, radius + 1.0, egui::Stroke::new(1.8, colour));
        } else {
            painter.circle(at, radius, colour, outline);
        }
    }

    // The legend: a swatch and the name of each class.
    let row = 18.0;
    let width = scene
        .class_names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0) as f32
        * 7.5
        + 34.0;
    let corner = screen.min + egui::vec2(10.0, 10.0);
    let frame = egui::Rect::from_min_size(
        corner,
        egui::vec2(width, 8.0 + row * scene.class_names.len() as f32),
    );
    painter.rect_filled(frame, 4.0, view.theme.legend_fill());
    for (k, name) in scene.class_names.iter().enumerate() {
        let top = corner + egui::vec2(8.0, 4.0 + row * k as f32);
        let [r, g, b] = class_colour(k);
        painter.rect_filled(
            egui::Rect::from_min_size(top + egui::vec2(0.0, 3.0), egui::vec2(12.0, 12.0)),
            2.0,
            egui::Color32::from_rgb(r, g, b),
        );
        painter.text(
            top + egui::vec2(18.0, 9.0),
            egui::Align2::LEFT_CENTER,
            name,
            font.clone(),
            grey,
        );
    }
}

/// A coordinate for a label: few digits, no trailing zeros.
fn format_value(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e5 || v.abs() < 1e-3 {
        return format!("{v:.2e}");
    }
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::format_value;

    #[test]
    fn values_are_short() {
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(400.0), "400");
        assert_eq!(format_value(-1.5), "-1.5");
        assert_eq!(format_value(0.125), "0.125");
        assert_eq!(format_value(2.0 / 3.0), "0.667");
        assert_eq!(format_value(1e-6), "1.00e-6");
    }
}
