//! The overlay panel (egui): the model summary and every view setting the keys change.

use faultline_model::slice::{LiveSlice, SliceKind};
use faultline_render::{Mode, ViewOptions, class_colour};

use crate::controls::CameraMode;
use crate::playback::Playback;

/// Grid resolutions the panel offers (samples per side).
const RESOLUTIONS: [usize; 7] = [64, 128, 256, 512, 1024, 2048, 4096];

/// What the panel shows about the model and the session.
pub struct PanelInfo<'a> {
    /// The model's short name.
    pub name: &'a str,
    /// Layer widths and activations, e.g. `2-3-3 sigmoid`.
    pub architecture: String,
    /// Number of weights and biases.
    pub parameters: usize,
    /// One name per output.
    pub class_names: &'a [String],
    /// The two input names.
    pub input_names: &'a [String; 2],
    /// The input rectangle shown.
    pub domain: faultline_model::Domain,
    /// The rectangle the viewer opened on.
    pub whole_domain: faultline_model::Domain,
    /// Grid samples per side now.
    pub resolution: usize,
    /// The adapter, in words.
    pub adapter: &'a str,
    /// Mean milliseconds per frame.
    pub frame_ms: f64,
    /// Each hidden neuron's active share and dead flag, per layer.
    pub activity: &'a [Vec<(f64, bool)>],
    /// The hidden neuron shown, if any.
    pub neuron: Option<(usize, usize)>,
}

/// The hidden neurons, each with its active share (dead ones in red), to pick one to show.
fn neuron_list(ui: &mut egui::Ui, info: &PanelInfo, actions: &mut PanelActions) {
    if info.activity.is_empty() {
        return;
    }
    let shown = match info.neuron {
        Some((l, j)) => format!("Neurons: layer {l} #{j} shown (M: next)"),
        None => "Neurons".to_string(),
    };
    egui::CollapsingHeader::new(shown)
        .id_salt("neurons")
        .show(ui, |ui| {
            if info.neuron.is_some() && ui.button("back to the outputs").clicked() {
                actions.neuron = Some(None);
            }
            egui::ScrollArea::vertical()
                .max_height(180.0)
                .show(ui, |ui| {
                    for (l, layer) in info.activity.iter().enumerate() {
                        ui.small(format!("layer {l}"));
                        ui.horizontal_wrapped(|ui| {
                            for (j, &(active, dead)) in layer.iter().enumerate() {
                                let label = format!("{j}: {:.0}%", 100.0 * active);
                                let text = if dead {
                                    egui::RichText::new(format!("{label} dead"))
                                        .color(egui::Color32::from_rgb(230, 90, 90))
                                } else {
                                    egui::RichText::new(label)
                                };
                                let selected = info.neuron == Some((l, j));
                                if ui.selectable_label(selected, text).clicked() && !selected {
                                    actions.neuron = Some(Some((l, j)));
                                }
                            }
                        });
                    }
                });
        });
}

/// What the viewer should do once the frame is drawn.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct PanelActions {
    /// Re-evaluate the field at this many samples per side.
    pub resolution: Option<usize>,
    /// Save a screenshot.
    pub screenshot: bool,
    /// Put the camera back where it started.
    pub reset_camera: bool,
    /// Show this hidden neuron (layer, index), or the whole network (`Some(None)`).
    pub neuron: Option<Option<(usize, usize)>>,
    /// The slice moved: fold it again; `true` while a slider is still being dragged
    /// (evaluate coarsely), `false` when it was released or picked (full resolution).
    pub reslice: Option<bool>,
    /// The playback epoch moved (slider, step buttons, play or pause): show the network
    /// there; `true` while it keeps moving (evaluate coarsely).
    pub epoch_moved: Option<bool>,
    /// Zoom the domain by this factor (`Some(None)`: back to the whole domain).
    pub zoom: Option<Option<f64>>,
}

/// The domain shown, the zoom buttons and "copy --domain" (for `map` and `render`).
fn zoom_controls(ui: &mut egui::Ui, info: &PanelInfo, actions: &mut PanelActions) {
    let magnification = crate::zoom::magnification(info.domain, info.whole_domain);
    ui.horizontal(|ui| {
        ui.label(if magnification > 1.0 + 1e-9 {
            format!("Zoom ×{magnification:.4e}")
        } else {
            "Zoom".to_string()
        });
        if ui.button("in ×2 (Z)").clicked() {
            actions.zoom = Some(Some(2.0));
        }
        if ui.button("out (X)").clicked() {
            actions.zoom = Some(Some(0.5));
        }
    });
    ui.horizontal(|ui| {
        if magnification > 1.0 + 1e-9 && ui.button("whole domain").clicked() {
            actions.zoom = Some(None);
        }
        if ui.button("copy --domain").clicked() {
            ui.ctx().copy_text(format!(
                "--domain {}",
                crate::zoom::domain_flag(info.domain)
            ));
        }
    });
}

/// The training section: the epoch slider, play/pause, steps and speed, and the figures of
/// the snapshot at or before the epoch shown.
fn training_controls(ui: &mut egui::Ui, playback: &mut Playback, actions: &mut PanelActions) {
    let [first, last] = playback.range();
    ui.label("Training");
    let response = ui.add(
        egui::Slider::new(&mut playback.epoch, first..=last)
            .text("epoch")
            // Shown to a tenth; the value itself is not rounded (rounding it would count
            // as a change and stop playback).
            .custom_formatter(|v, _| format!("{v:.1}")),
    );
    if response.changed() {
        playback.playing = false;
        actions.epoch_moved = Some(response.dragged());
    }
    if response.drag_stopped() {
        actions.epoch_moved = Some(false);
    }
    ui.horizontal(|ui| {
        if ui.button("< prev (,)").clicked() {
            playback.step(false);
            actions.epoch_moved = Some(false);
        }
        let label = if playback.playing {
            "pause (space)"
        } else {
            "play (space)"
        };
        if ui.button(label).clicked() {
            playback.toggle();
            actions.epoch_moved = Some(playback.playing);
        }
        if ui.button("next (.) >").clicked() {
            playback.step(true);
            actions.epoch_moved = Some(false);
        }
    });
    ui.add(
        egui::Slider::new(&mut playback.speed, 0.5..=(last - first).max(1.0) * 2.0)
            .logarithmic(true)
            .text("epochs/s"),
    );
    let record = playback.record();
    ui.small(record.caption());
    let (a, b) = playback.bracket();
    if a != b {
        ui.small(format!(
            "weights interpolated linearly between epochs {a} and {b}"
        ));
    }
    if playback.playing {
        ui.small("coarse grid while playing, full when paused");
    }
}

/// The slice controls: axis pickers and one slider per fixed input for an axis slice, one
/// slider along the normal for any other plane. Records in `actions` whether it moved.
fn slice_controls(ui: &mut egui::Ui, slice: &mut LiveSlice, actions: &mut PanelActions) {
    let names = slice.original.input_names();
    ui.label("Slice");
    let moved = |response: egui::Response, actions: &mut PanelActions| {
        if response.changed() {
            actions.reslice = Some(response.dragged());
        }
        if response.drag_stopped() {
            actions.reslice = Some(false);
        }
    };
    match &mut slice.kind {
        SliceKind::Axes { axes, at, ranges } => {
            for (slot, label) in [(0, "x"), (1, "y")] {
                let mut pick = axes[slot];
                egui::ComboBox::from_id_salt(("axis", slot))
                    .selected_text(format!("{label}: {}", names[pick]))
                    .show_ui(ui, |ui| {
                        for (k, name) in names.iter().enumerate() {
                            if k != axes[1 - slot] {
                                ui.selectable_value(&mut pick, k, name);
                            }
                        }
                    });
                if pick != axes[slot] {
                    axes[slot] = pick;
                    actions.reslice = Some(false);
                }
            }
            for k in 0..names.len() {
                if axes.contains(&k) {
                    continue;
                }
                let [lo, hi] = ranges[k];
                let response = ui.add(egui::Slider::new(&mut at[k], lo..=hi).text(&names[k]));
                moved(response, actions);
            }
        }
        SliceKind::Shifted { offset, range, .. } => {
            let response =
                ui.add(egui::Slider::new(offset, range[0]..=range[1]).text("along the normal"));
            moved(response, actions);
        }
    }
    ui.small(slice.describe());
}

/// Shows the panel; changes `view` and `camera` in place and returns the rest.
pub fn show(
    context: &egui::Context,
    info: &PanelInfo,
    view: &mut ViewOptions,
    camera: &mut CameraMode,
    slice: Option<&mut LiveSlice>,
    playback: Option<&mut Playback>,
) -> PanelActions {
    let mut actions = PanelActions::default();
    egui::Window::new("Faultline")
        .default_pos(context.content_rect().right_top() + egui::vec2(-250.0, 10.0))
        .default_width(230.0)
        .resizable(false)
        .show(context, |ui| {
            ui.label(egui::RichText::new(info.name).strong());
            ui.label(format!(
                "{}, {} parameters",
                info.architecture, info.parameters
            ));
            let [x, y] = info.input_names;
            let d = info.domain;
            ui.small(format!(
                "{x} in [{}, {}], {y} in [{}, {}]",
                d.x[0], d.x[1], d.y[0], d.y[1]
            ));
            ui.small(format!("{} | {:.0} ms/frame", info.adapter, info.frame_ms));
            zoom_controls(ui, info, &mut actions);
            ui.separator();
            if let Some(playback) = playback {
                training_controls(ui, playback, &mut actions);
                ui.separator();
            }
            if let Some(slice) = slice {
                slice_controls(ui, slice, &mut actions);
                ui.separator();
            }
            neuron_list(ui, info, &mut actions);

            ui.label("Classes");
            for (k, name) in info.class_names.iter().enumerate() {
                let [r, g, b] = class_colour(k);
                let bit = ViewOptions::class_bit(k);
                let mut visible = view.visible & bit != 0;
                ui.horizontal(|ui| {
                    let (swatch, _) =
                        ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                    ui.painter()
                        .rect_filled(swatch, 2.0, egui::Color32::from_rgb(r, g, b));
                    if ui.checkbox(&mut visible, name).changed() {
                        view.visible ^= bit;
                    }
                });
            }
            ui.separator();

            ui.label("Surfaces");
            ui.horizontal(|ui| {
                ui.radio_value(&mut view.mode, Mode::All, "all");
                ui.radio_value(&mut view.mode, Mode::Envelope, "envelope");
                let single = matches!(view.mode, Mode::Single(_));
                if ui.radio(single, "one").clicked() && !single {
                    view.mode = Mode::Single(0);
                }
            });
            if let Mode::Single(k) = view.mode {
                let mut k = k;
                egui::ComboBox::from_id_salt("class")
                    .selected_text(info.class_names[k].as_str())
                    .show_ui(ui, |ui| {
                        for (j, name) in info.class_names.iter().enumerate() {
                            ui.selectable_value(&mut k, j, name);
                        }
                    });
                view.mode = Mode::Single(k);
            }
            ui.add(
                egui::Slider::new(&mut view.height_scale, 0.1..=4.0)
                    .logarithmic(true)
                    .text("height"),
            );
            ui.separator();

            ui.label("Boundaries");
            ui.checkbox(&mut view.decision, "decision boundary (B)");
            ui.checkbox(&mut view.crossings, "pairwise crossings (C)");
            ui.checkbox(&mut view.junctions, "junctions (J)");
            ui.checkbox(&mut view.floor, "floor map and axes (G)");
            ui.checkbox(&mut view.labels, "labels and legend");
            ui.add(egui::Slider::new(&mut view.contours, 0..=20).text("iso-lines"));
            let mut light = view.theme == faultline_render::Theme::Light;
            if ui.checkbox(&mut light, "light theme (print)").changed() {
                view.theme = if light {
                    faultline_render::Theme::Light
                } else {
                    faultline_render::Theme::Dark
                };
            }
            ui.separator();

            let mut resolution = info.resolution;
            ui.horizontal(|ui| {
                ui.label("Grid");
                egui::ComboBox::from_id_salt("resolution")
                    .selected_text(format!("{resolution}²"))
                    .show_ui(ui, |ui| {
                        for r in RESOLUTIONS {
                            ui.selectable_value(&mut resolution, r, format!("{r}²"));
                        }
                    });
            });
            if resolution != info.resolution {
                actions.resolution = Some(resolution);
            }
            ui.horizontal(|ui| {
                ui.label("Camera");
                ui.radio_value(camera, CameraMode::Fly, "fly");
                ui.radio_value(camera, CameraMode::Orbit, "orbit");
            });
            ui.horizontal(|ui| {
                actions.reset_camera = ui.button("Reset view (R)").clicked();
                actions.screenshot = ui.button("Screenshot (F12)").clicked();
            });
            ui.collapsing("Keys", |ui| {
                ui.small(
                    "W/A/S/D or arrows: move · Q/E: down/up · Shift: faster · wheel: speed\n\
                     drag: look (orbit in orbit mode) · O: fly/orbit · R: reset\n\
                     M: mode · 1-9: classes · B/C/J: lines · G: floor · +/-: height\n\
                     [ ]: grid resolution · Z/X: zoom in/out · space: play/pause · , .: snapshots\n\
                     F12/P: screenshot · Tab: this panel · Esc: quit",
                );
            });
        });
    actions
}
