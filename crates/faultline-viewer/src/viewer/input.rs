//! What keys and the panel change: the view, the camera, the grid resolution.

use super::*;
use faultline_model::slice::SliceKind;

/// Grid samples per side while a slice slider is dragged.
pub const DRAGGING_RESOLUTION: usize = 128;

impl App {
    /// Evaluates the field again at `resolution` samples per side, with the engine the
    /// viewer opened with (no kernel generated or compiled again).
    pub(super) fn reevaluate(&mut self, resolution: usize) {
        match Scene::evaluate(
            &self.ctx,
            &self.engine,
            &self.options.model,
            self.options.domain,
            resolution,
        ) {
            Ok(scene) => {
                self.scene = scene;
                self.options.resolution = resolution;
                place_dots(&mut self.scene, &self.options);
            }
            Err(e) => eprintln!("cannot re-evaluate at {resolution}^2: {e}"),
        }
    }

    /// The slice moved: [`App::refresh`], timing the move to its picture.
    pub(super) fn reslice(&mut self, dragging: bool) {
        if self.options.slice.is_none() {
            return;
        }
        self.move_started = Some((Instant::now(), dragging));
        self.refresh(dragging);
    }

    /// Builds the shown network again and evaluates it with the native CPU engine (no
    /// shader is generated or compiled for it, on any adapter): the network at the
    /// playback epoch (weights interpolated between snapshots), folded onto the slice's
    /// current plane, or one hidden neuron of it where one is shown. At most
    /// [`DRAGGING_RESOLUTION`] samples per side when `coarse` (a slider dragged, playback
    /// playing), the chosen resolution otherwise.
    pub(super) fn refresh(&mut self, coarse: bool) {
        let result = (|| -> Result<(), String> {
            let at_epoch = match &self.playback {
                Some(p) => Some(p.network().map_err(|e| e.to_string())?),
                None => None,
            };
            let (network, folded_domain) = match (&mut self.options.slice, at_epoch) {
                (Some(slice), at_epoch) => {
                    if let Some(wide) = at_epoch {
                        slice.original = wide;
                    }
                    slice.fold().map_err(|e| e.to_string())?
                }
                (None, Some(network)) => (network, self.options.domain),
                (None, None) => (self.network.clone(), self.options.domain),
            };
            if self.options.slice.is_some() {
                self.whole_domain = folded_domain;
            }
            let domain = self.zoom.unwrap_or(folded_domain);
            let mlp = match self.neuron {
                Some((l, j)) => network.neuron(l, j).map_err(|e| e.to_string())?,
                None => network.clone(),
            };
            if !coarse {
                self.activity = activity(&network, domain);
            }
            self.network = network;
            let engine = SceneEngine::on_cpu(&mlp).map_err(|e| e.to_string())?;
            let side = if coarse {
                self.options.resolution.min(DRAGGING_RESOLUTION)
            } else {
                self.options.resolution
            };
            self.scene = Scene::evaluate(&self.ctx, &engine, &mlp, domain, side)
                .map_err(|e| e.to_string())?;
            self.report.engine = engine.describe();
            self.engine = engine;
            self.options.model = mlp;
            self.options.domain = domain;
            place_dots(&mut self.scene, &self.options);
            Ok(())
        })();
        if let Err(e) = result {
            eprintln!("cannot show the network: {e}");
        }
        self.coarse = coarse;
        self.dirty = true;
    }

    /// Zooms the domain by `factor` around the point under the screen centre (`None`: back
    /// to the whole domain) and evaluates the new window at full resolution with the
    /// engine the viewer has.
    pub(super) fn zoom(&mut self, factor: Option<f64>) {
        let centre = crate::zoom::looked_at(&self.camera, self.options.domain);
        self.zoom_around(centre, factor);
    }

    /// [`App::zoom`] around `centre` (domain units).
    pub(super) fn zoom_around(&mut self, centre: [f64; 2], factor: Option<f64>) {
        self.zoom_started = Some(Instant::now());
        let next = match factor {
            None => Ok(self.whole_domain),
            Some(f) => crate::zoom::zoomed(
                self.options.domain,
                self.whole_domain,
                centre,
                f,
                self.options.resolution,
            ),
        };
        match next {
            Ok(domain) => {
                self.zoom = (domain != self.whole_domain).then_some(domain);
                self.options.domain = domain;
                let resolution = self.options.resolution;
                self.reevaluate(resolution);
                self.dirty = true;
            }
            Err(e) => eprintln!("cannot zoom further: {e}"),
        }
    }

    /// With `sweep_slice`: moves the slice's first slider one step through its range, as
    /// a drag released on the last frame.
    pub(super) fn sweep_step(&mut self) {
        let (Some(frames), Some(slice)) = (self.options.frames, &mut self.options.slice) else {
            return;
        };
        // After frame k (1-based) comes move k, drawn by frame k + 1: moves 1..N-2 drag,
        // move N-1 releases, and the last frame moves nothing.
        let step = self.report.frames;
        if step >= frames {
            return;
        }
        let t = step as f64 / frames.max(2).saturating_sub(1) as f64;
        match &mut slice.kind {
            SliceKind::Axes { axes, at, ranges } => {
                let Some(k) = (0..at.len()).find(|k| !axes.contains(k)) else {
                    return;
                };
                at[k] = ranges[k][0] + t.min(1.0) * (ranges[k][1] - ranges[k][0]);
            }
            SliceKind::Shifted { offset, range, .. } => {
                *offset = range[0] + t.min(1.0) * (range[1] - range[0]);
            }
        }
        self.reslice(step + 1 < frames);
    }

    /// Shows hidden neuron `pick` (layer, index) of the network, or the network itself
    /// (`None`), evaluated with the native CPU engine (no kernel compiled for it).
    pub(super) fn show_neuron(&mut self, pick: Option<(usize, usize)>) {
        let shown = match pick {
            Some((l, j)) => match self.network.neuron(l, j) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("cannot show neuron {j} of layer {l}: {e}");
                    return;
                }
            },
            None => self.network.clone(),
        };
        let result = SceneEngine::on_cpu(&shown).and_then(|engine| {
            let scene = Scene::evaluate(
                &self.ctx,
                &engine,
                &shown,
                self.options.domain,
                self.options.resolution,
            )?;
            Ok((engine, scene))
        });
        match result {
            Ok((engine, scene)) => {
                self.report.engine = engine.describe();
                self.engine = engine;
                self.scene = scene;
                self.options.model = shown;
                self.neuron = pick;
                self.view.mode = Mode::All;
                place_dots(&mut self.scene, &self.options);
            }
            Err(e) => eprintln!("cannot show the neuron: {e}"),
        }
    }

    /// The hidden neuron after the one shown (M cycles classes, then neurons), `None`
    /// after the last.
    fn next_neuron(&self) -> Option<(usize, usize)> {
        let widths: Vec<usize> = self.activity.iter().map(Vec::len).collect();
        let (l, j) = match self.neuron {
            None => (0, 0),
            Some((l, j)) if j + 1 < widths[l] => (l, j + 1),
            Some((l, _)) => (l + 1, 0),
        };
        (l < widths.len() && j < widths[l]).then_some((l, j))
    }

    /// Does what the panel asked for.
    pub(super) fn apply(&mut self, actions: PanelActions) {
        if let Some(pick) = actions.neuron {
            self.show_neuron(pick);
            self.dirty = true;
        }
        if let Some(dragging) = actions.reslice {
            self.reslice(dragging);
            self.dirty = true;
        }
        if let Some(coarse) = actions.epoch_moved {
            self.refresh(coarse);
        }
        if let Some(resolution) = actions.resolution {
            self.reevaluate(resolution);
            self.dirty = true;
        }
        if let Some(factor) = actions.zoom {
            self.zoom(factor);
        }
        if actions.reset_camera {
            self.camera = self.home;
            self.dirty = true;
        }
        if actions.screenshot {
            self.screenshot_requested = true;
            self.dirty = true;
        }
    }

    pub(super) fn key(&mut self, event_loop: &ActiveEventLoop, code: KeyCode) {
        let classes = self.scene.surfaces;
        match code {
            KeyCode::Escape => event_loop.exit(),
            KeyCode::KeyR => {
                self.camera = self.home;
                self.controls.mode = CameraMode::Fly;
            }
            KeyCode::KeyO => {
                self.controls.mode = match self.controls.mode {
                    CameraMode::Fly => CameraMode::Orbit,
                    CameraMode::Orbit => CameraMode::Fly,
                }
            }
            KeyCode::KeyM => {
                // All, envelope, each class, then each hidden neuron, then all again.
                if self.neuron.is_some() {
                    let next = self.next_neuron();
                    self.show_neuron(next);
                } else {
                    self.view.mode = match self.view.mode {
                        Mode::All => Mode::Envelope,
                        Mode::Envelope => Mode::Single(0),
                        Mode::Single(k) if k + 1 < classes => Mode::Single(k + 1),
                        Mode::Single(_) => match self.next_neuron() {
                            Some(first) => {
                                self.show_neuron(Some(first));
                                Mode::All
                            }
                            None => Mode::All,
                        },
                    }
                }
            }
            KeyCode::KeyB => self.view.decision = !self.view.decision,
            KeyCode::KeyC => self.view.crossings = !self.view.crossings,
            KeyCode::KeyJ => self.view.junctions = !self.view.junctions,
            KeyCode::KeyG => self.view.floor = !self.view.floor,
            KeyCode::Equal | KeyCode::NumpadAdd => self.view.height_scale *= 1.2,
            KeyCode::Minus | KeyCode::NumpadSubtract => self.view.height_scale /= 1.2,
            KeyCode::BracketLeft | KeyCode::BracketRight => {
                let resolution = if code == KeyCode::BracketLeft {
                    (self.scene.width / 2).max(16)
                } else {
                    (self.scene.width * 2).min(4096)
                };
                self.reevaluate(resolution);
            }
            KeyCode::Tab => self.show_panel = !self.show_panel,
            KeyCode::KeyZ => self.zoom(Some(2.0)),
            KeyCode::KeyX => self.zoom(Some(0.5)),
            KeyCode::Space => {
                if let Some(playback) = &mut self.playback {
                    playback.toggle();
                    if !playback.playing {
                        self.refresh(false);
                    }
                }
            }
            KeyCode::Comma | KeyCode::Period => {
                if let Some(playback) = &mut self.playback {
                    playback.step(code == KeyCode::Period);
                    self.refresh(false);
                }
            }
            KeyCode::F12 | KeyCode::KeyP => self.screenshot_requested = true,
            _ => {
                let digits = [
                    KeyCode::Digit1,
                    KeyCode::Digit2,
                    KeyCode::Digit3,
                    KeyCode::Digit4,
                    KeyCode::Digit5,
                    KeyCode::Digit6,
                    KeyCode::Digit7,
                    KeyCode::Digit8,
                    KeyCode::Digit9,
                ];
                if let Some(k) = digits.iter().position(|d| *d == code) {
                    self.view.visible ^= ViewOptions::class_bit(k);
                }
            }
        }
        if let Some(gpu) = &self.gpu {
            gpu.window.set_title(&self.title());
        }
    }
}
