//! Keyboard and mouse state turned into camera motion.

use std::collections::HashSet;

use faultline_render::Camera;
use glam::Vec3;
use winit::keyboard::KeyCode;

/// Fly or orbit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraMode {
    /// Move freely; the mouse looks around.
    Fly,
    /// The mouse turns the camera around the landscape's centre.
    Orbit,
}

/// Held keys, mouse drag state and speed.
#[derive(Debug)]
pub struct Controls {
    held: HashSet<KeyCode>,
    /// Whether the left button is down (dragging).
    pub dragging: bool,
    /// World units per second.
    pub speed: f32,
    /// Fly or orbit.
    pub mode: CameraMode,
    /// Mouse movement waiting to be applied, in pixels.
    pending_look: (f64, f64),
}

impl Default for Controls {
    fn default() -> Self {
        Controls {
            held: HashSet::new(),
            dragging: false,
            speed: 0.9,
            mode: CameraMode::Fly,
            pending_look: (0.0, 0.0),
        }
    }
}

const ORBIT_TARGET: Vec3 = Vec3::new(0.0, 0.25, 0.0);

impl Controls {
    /// Records a key going down or up.
    pub fn key(&mut self, code: KeyCode, pressed: bool) {
        if pressed {
            self.held.insert(code);
        } else {
            self.held.remove(&code);
        }
    }

    /// Records mouse movement while dragging.
    pub fn mouse_moved(&mut self, dx: f64, dy: f64) {
        if self.dragging {
            self.pending_look.0 += dx;
            self.pending_look.1 += dy;
        }
    }

    /// Scales the speed by the wheel.
    pub fn wheel(&mut self, lines: f32) {
        self.speed = (self.speed * 1.15f32.powf(lines)).clamp(0.05, 20.0);
    }

    /// Whether the camera is moving (keys held or a drag in progress).
    pub fn moving(&self) -> bool {
        self.dragging
            || self.held.iter().any(|k| {
                matches!(
                    k,
                    KeyCode::KeyW
                        | KeyCode::KeyA
                        | KeyCode::KeyS
                        | KeyCode::KeyD
                        | KeyCode::KeyQ
                        | KeyCode::KeyE
                        | KeyCode::ArrowUp
                        | KeyCode::ArrowDown
                        | KeyCode::ArrowLeft
                        | KeyCode::ArrowRight
                )
            })
    }

    /// Moves `camera` for `dt` seconds of held keys and pending mouse movement.
    pub fn update(&mut self, camera: &mut Camera, dt: f32) {
        let (dx, dy) = std::mem::take(&mut self.pending_look);
        let turn = 0.005;
        let held = |k: &[KeyCode]| k.iter().any(|k| self.held.contains(k));
        let fast = if held(&[KeyCode::ShiftLeft, KeyCode::ShiftRight]) {
            3.0
        } else {
            1.0
        };
        let step = self.speed * fast * dt;
        match self.mode {
            CameraMode::Fly => {
                camera.yaw += dx as f32 * turn;
                camera.pitch = (camera.pitch - dy as f32 * turn).clamp(-1.55, 1.55);
                let forward = camera.forward();
                let right = camera.right();
                let mut motion = Vec3::ZERO;
                if held(&[KeyCode::KeyW, KeyCode::ArrowUp]) {
                    motion += forward;
                }
                if held(&[KeyCode::KeyS, KeyCode::ArrowDown]) {
                    motion -= forward;
                }
                if held(&[KeyCode::KeyD, KeyCode::ArrowRight]) {
                    motion += right;
                }
                if held(&[KeyCode::KeyA, KeyCode::ArrowLeft]) {
                    motion -= right;
                }
                if held(&[KeyCode::KeyE]) {
                    motion += Vec3::Y;
                }
                if held(&[KeyCode::KeyQ]) {
                    motion -= Vec3::Y;
                }
                camera.position += motion.normalize_or_zero() * step;
            }
            CameraMode::Orbit => {
                let distance = (camera.position - ORBIT_TARGET).length().max(0.2);
                let mut yaw = camera.yaw + dx as f32 * turn;
                let mut pitch = camera.pitch - dy as f32 * turn;
                let mut distance = distance;
                if held(&[KeyCode::KeyW, KeyCode::ArrowUp]) {
                    distance = (distance - step).max(0.2);
                }
                if held(&[KeyCode::KeyS, KeyCode::ArrowDown]) {
                    distance += step;
                }
                if held(&[KeyCode::KeyA, KeyCode::ArrowLeft]) {
                    yaw -= step;
                }
                if held(&[KeyCode::KeyD, KeyCode::ArrowRight]) {
                    yaw += step;
                }
                if held(&[KeyCode::KeyE]) {
                    pitch -= step;
                }
                if held(&[KeyCode::KeyQ]) {
                    pitch += step;
                }
                let fov = camera.fov_y;
                *camera = Camera::orbit(ORBIT_TARGET, yaw, pitch, distance);
                camera.fov_y = fov;
            }
        }
    }
}
