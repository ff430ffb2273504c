//! Text and panels over a frame, with egui: the axis names and ticks and the class
//! legend of a landscape ([`annotate`]), and whatever UI a caller adds (the viewer's
//! panel). The same [`Overlay`] draws into a window's surface or an offscreen texture.

use crate::axes::{Label, Projection};
use crate::occupancy::Occupancy;
use crate::{Camera, Scene, ViewOptions, legend};

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

/// What [`annotate`] placed: the axis labels and the legend's box (points).
#[derive(Debug, Clone)]
pub struct Annotation {
    /// The axis names and ticks kept ([`crate::axes::layout`]).
    pub labels: Vec<Label>,
    /// The class legend's box, in the corner the scene covers least.
    pub legend: egui::Rect,
}

/// Paints the axes' names and round ticks ([`crate::axes::layout`]), the data samples and
/// the class legend (in the corner where it hides least, [`crate::legend::place`]), for
/// `scene` seen by `camera`.
pub fn annotate(
    context: &egui::Context,
    scene: &Scene,
    camera: &Camera,
    view: &ViewOptions,
) -> Annotation {
    let painter = context.layer_painter(egui::LayerId::background());
    let screen = context.content_rect();
    let projection = Projection::new(camera, screen);
    let occupancy = Occupancy::of_scene(scene, view, &projection);
    let axes = scene.axes(view.height_scale);
    let free: Vec<egui::Rect> = crate::axes::layout(&painter, &axes, &projection, view.theme, &[])
        .iter()
        .map(|l| l.rect)
        .collect();
    let legend = legend::place(
        legend::size(&painter, scene),
        screen,
        |r| occupancy.area_in(r),
        &free,
    );
    let labels = crate::axes::layout(&painter, &axes, &projection, view.theme, &[legend]);
    for label in &labels {
        if let Some([a, b]) = label.tick {
            painter.line_segment([a, b], egui::Stroke::new(1.0, label.colour));
        }
        painter.galley(label.rect.min, label.galley.clone(), label.colour);
    }

    // Data samples: a disc (a ring when misclassified) on the highest surface.
    let radius = 3.5;
    let outline = egui::Stroke::new(1.0, egui::Color32::from_gray(25));
    for dot in &scene.dots {
        let world = scene
            .world(view.height_scale)
            .point(dot.s, dot.t, f64::from(dot.z));
        let Some(at) = projection.point(world).filter(|p| screen.contains(*p)) else {
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
    legend::paint(&painter, scene, legend, view.theme);
    Annotation { labels, legend }
}
