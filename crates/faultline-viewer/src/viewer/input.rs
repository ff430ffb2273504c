//! What keys and the panel change: the view, the camera, the grid resolution.

use super::*;

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
            Ok(scene) => self.scene = scene,
            Err(e) => eprintln!("cannot re-evaluate at {resolution}^2: {e}"),
        }
    }

    /// Does what the panel asked for.
    pub(super) fn apply(&mut self, actions: PanelActions) {
        if let Some(resolution) = actions.resolution {
            self.reevaluate(resolution);
            self.dirty = true;
        }
        if actions.reset_camera {
            self.camera = self.options.camera;
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
                self.camera = self.options.camera;
                self.controls.mode = CameraMode::Fly;
            }
            KeyCode::KeyO => {
                self.controls.mode = match self.controls.mode {
                    CameraMode::Fly => CameraMode::Orbit,
                    CameraMode::Orbit => CameraMode::Fly,
                }
            }
            KeyCode::KeyM => {
                self.view.mode = match self.view.mode {
                    Mode::All => Mode::Envelope,
                    Mode::Envelope => Mode::Single(0),
                    Mode::Single(k) if k + 1 < classes => Mode::Single(k + 1),
                    Mode::Single(_) => Mode::All,
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
                    self.view.visible ^= 1 << k;
                }
            }
        }
        if let Some(gpu) = &self.gpu {
            gpu.window.set_title(&self.title());
        }
    }
}
