//! The winit application: window, surface, event handling, frame loop, screenshots.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use faultline_gpu::GpuContext;
use faultline_model::{Domain, Mlp};
use faultline_render::{
    Camera, LandscapeRenderer, Mode, Overlay, Scene, SceneEngine, ViewOptions, annotate,
    render_rgba,
};
use winit::application::ApplicationHandler;
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::keyboard::{KeyCode, PhysicalKey};
use winit::window::{Window, WindowId};

use crate::ViewerError;
use crate::controls::{CameraMode, Controls};
use crate::panel::{self, PanelActions, PanelInfo};

/// Writes a PNG from RGBA8 rows (path, pixels, width, height).
pub type PngWriter = Box<dyn Fn(&std::path::Path, &[u8], u32, u32) -> Result<(), String>>;

/// How the viewer starts.
pub struct ViewerOptions {
    /// The model.
    pub model: Mlp,
    /// A short name for the title bar.
    pub name: String,
    /// The input rectangle.
    pub domain: Domain,
    /// Grid samples per side.
    pub resolution: usize,
    /// The starting camera.
    pub camera: Camera,
    /// The starting view options.
    pub view: ViewOptions,
    /// Render this many frames, then exit (how tests drive the real window).
    pub frames: Option<u64>,
    /// Save the last frame here (with `frames`), or where F12 saves (else `faultline-N.png`).
    pub screenshot: Option<PathBuf>,
    /// Writes a PNG (RGBA8 rows, width, height) for screenshots.
    pub save_png: PngWriter,
}

/// What happened in the window.
#[derive(Debug, Clone, Default)]
pub struct ViewerReport {
    /// Frames drawn.
    pub frames: u64,
    /// Mean seconds per drawn frame.
    pub mean_frame_seconds: f64,
    /// Screenshots written.
    pub screenshots: Vec<PathBuf>,
    /// The adapter.
    pub adapter: String,
    /// What evaluated the field ([`SceneEngine::describe`]).
    pub engine: String,
}

struct Gpu {
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    renderer: LandscapeRenderer,
    /// Labels and the panel, drawn over each frame.
    overlay: Overlay,
    /// Window events turned into egui input.
    egui: egui_winit::State,
}

struct App {
    options: ViewerOptions,
    ctx: GpuContext,
    /// Evaluates the field; built once, kept across resolution changes.
    engine: SceneEngine,
    scene: Scene,
    /// The offscreen renderer for screenshots, built on the first one and kept.
    screenshot_renderer: Option<LandscapeRenderer>,
    gpu: Option<Gpu>,
    camera: Camera,
    view: ViewOptions,
    controls: Controls,
    last_frame: Instant,
    report: ViewerReport,
    frame_seconds: f64,
    error: Option<String>,
    screenshot_requested: bool,
    /// Whether the overlay panel is shown (Tab toggles it).
    show_panel: bool,
    /// Something changed since the last frame (frames are drawn on demand unless the
    /// camera moves or `frames` is set).
    dirty: bool,
}

/// Opens the window and runs until it is closed (or `frames` were drawn).
pub fn run(options: ViewerOptions) -> Result<ViewerReport, ViewerError> {
    let event_loop = EventLoop::new().map_err(|e| ViewerError::NoDisplay(e.to_string()))?;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_with_display_handle_from_env(
        Box::new(event_loop.owned_display_handle()),
    ));
    let ctx = GpuContext::with_instance(instance).map_err(|e| ViewerError::Other(e.to_string()))?;
    let engine = SceneEngine::for_context(&ctx, &options.model)
        .map_err(|e| ViewerError::Other(e.to_string()))?;
    let scene = Scene::evaluate(
        &ctx,
        &engine,
        &options.model,
        options.domain,
        options.resolution,
    )
    .map_err(|e| ViewerError::Other(e.to_string()))?;
    let mut app = App {
        camera: options.camera,
        view: options.view,
        report: ViewerReport {
            adapter: ctx.describe(),
            engine: engine.describe(),
            ..Default::default()
        },
        options,
        ctx,
        engine,
        scene,
        screenshot_renderer: None,
        gpu: None,
        controls: Controls::default(),
        last_frame: Instant::now(),
        frame_seconds: 0.0,
        error: None,
        screenshot_requested: false,
        show_panel: true,
        dirty: true,
    };
    event_loop
        .run_app(&mut app)
        .map_err(|e| ViewerError::Other(e.to_string()))?;
    if let Some(e) = app.error {
        return Err(ViewerError::Other(e));
    }
    app.report.mean_frame_seconds = app.frame_seconds / app.report.frames.max(1) as f64;
    Ok(app.report)
}

impl App {
    fn configure(&mut self) {
        if let Some(gpu) = &mut self.gpu {
            let size = gpu.window.inner_size();
            if size.width == 0 || size.height == 0 {
                return; // minimised: nothing to draw until it comes back
            }
            gpu.config.width = size.width;
            gpu.config.height = size.height;
            gpu.surface.configure(&self.ctx.device, &gpu.config);
        }
    }

    fn title(&self) -> String {
        let mode = match self.view.mode {
            Mode::All => "all surfaces".to_string(),
            Mode::Envelope => "envelope".to_string(),
            Mode::Single(k) => self.options.model.class_names()[k].clone(),
        };
        let camera = match self.controls.mode {
            CameraMode::Fly => "fly",
            CameraMode::Orbit => "orbit",
        };
        format!(
            "Faultline: {} ({}) | {mode} | {camera} | {}^2 | {:.0} ms/frame",
            self.options.name,
            self.options.model.architecture(),
            self.scene.width,
            1e3 * self.frame_seconds / self.report.frames.max(1) as f64
        )
    }

    fn redraw(&mut self, event_loop: &ActiveEventLoop) {
        self.dirty = false;
        let now = Instant::now();
        let dt = (now - self.last_frame).as_secs_f32().min(0.2);
        self.last_frame = now;
        self.controls.update(&mut self.camera, dt);
        let Some(gpu) = &mut self.gpu else { return };
        if gpu.config.width == 0 || gpu.config.height == 0 {
            return;
        }
        let frame = match gpu.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(frame)
            | wgpu::CurrentSurfaceTexture::Suboptimal(frame) => frame,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                self.configure();
                self.dirty = true;
                return;
            }
            wgpu::CurrentSurfaceTexture::Timeout => {
                self.dirty = true; // try again on the next turn of the event loop
                return;
            }
            _ => return, // occluded: the next window event asks for a frame
        };
        let view = if self.controls.moving() {
            self.view.moving(self.scene.width, self.ctx.is_software())
        } else {
            self.view
        };
        let target = frame.texture.create_view(&Default::default());
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        let size = (gpu.config.width, gpu.config.height);
        gpu.renderer.draw(
            &self.ctx.device,
            &self.ctx.queue,
            &mut encoder,
            &target,
            size,
            &self.scene,
            &self.camera,
            &view,
        );
        let input = gpu.egui.take_egui_input(&gpu.window);
        let info = PanelInfo {
            name: &self.options.name,
            architecture: self.options.model.architecture(),
            parameters: self.options.model.parameter_count(),
            class_names: &self.scene.class_names,
            input_names: &self.scene.input_names,
            domain: self.options.domain,
            resolution: self.scene.width,
            adapter: &self.report.adapter,
            frame_ms: 1e3 * self.frame_seconds / self.report.frames.max(1) as f64,
        };
        let mut actions = PanelActions::default();
        let (scene, camera, show_panel) = (&self.scene, &self.camera, self.show_panel);
        let (panel_view, camera_mode) = (&mut self.view, &mut self.controls.mode);
        let output = gpu.overlay.draw(
            &self.ctx.device,
            &self.ctx.queue,
            &mut encoder,
            &target,
            size,
            input,
            |context| {
                if view.labels {
                    annotate(context, scene, camera, &view, size);
                }
                if show_panel {
                    actions = panel::show(context, &info, panel_view, camera_mode);
                }
            },
        );
        gpu.egui
            .handle_platform_output(&gpu.window, output.platform_output);
        if output
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| v.repaint_delay.is_zero())
        {
            self.dirty = true;
        }
        self.ctx.queue.submit([encoder.finish()]);
        gpu.window.pre_present_notify();
        self.ctx.queue.present(frame);
        if let Err(e) = self.ctx.wait() {
            self.error = Some(e.to_string());
            event_loop.exit();
            return;
        }
        self.frame_seconds += now.elapsed().as_secs_f64();
        self.report.frames += 1;
        if self.report.frames % 10 == 1 {
            let title = self.title();
            if let Some(gpu) = &self.gpu {
                gpu.window.set_title(&title);
            }
        }
        if self.controls.moving() {
            // Draw once more when the camera stops: the full-quality frame.
            self.dirty = true;
        }
        self.apply(actions);
        let done = self.options.frames.is_some_and(|n| self.report.frames >= n);
        if self.screenshot_requested || (done && self.options.screenshot.is_some()) {
            self.screenshot_requested = false;
            if let Err(e) = self.screenshot(size) {
                self.error = Some(e);
                event_loop.exit();
                return;
            }
        }
        if done {
            event_loop.exit();
        }
    }

    /// Draws the current view offscreen at the window's size and writes a PNG.
    fn screenshot(&mut self, (width, height): (u32, u32)) -> Result<(), String> {
        let path = self.options.screenshot.clone().unwrap_or_else(|| {
            PathBuf::from(format!(
                "faultline-{}.png",
                self.report.screenshots.len() + 1
            ))
        });
        let device = &self.ctx.device;
        let renderer = self.screenshot_renderer.get_or_insert_with(|| {
            LandscapeRenderer::new(device, wgpu::TextureFormat::Rgba8UnormSrgb)
        });
        let pixels = render_rgba(
            &self.ctx,
            renderer,
            &self.scene,
            (width, height),
            &self.camera,
            &self.view,
        )
        .map_err(|e| e.to_string())?;
        (self.options.save_png)(&path, &pixels, width, height)?;
        eprintln!("screenshot: {}", path.display());
        self.report.screenshots.push(path);
        Ok(())
    }

    /// Evaluates the field again at `resolution` samples per side, with the engine the
    /// viewer opened with (no kernel generated or compiled again).
    fn reevaluate(&mut self, resolution: usize) {
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
    fn apply(&mut self, actions: PanelActions) {
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

    fn key(&mut self, event_loop: &ActiveEventLoop, code: KeyCode) {
        let classes = self.scene.channels;
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

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.gpu.is_some() {
            return;
        }
        let attributes = Window::default_attributes()
            .with_title(self.title())
            .with_inner_size(winit::dpi::LogicalSize::new(1280.0, 720.0));
        let result = (|| -> Result<Gpu, String> {
            let window = Arc::new(
                event_loop
                    .create_window(attributes)
                    .map_err(|e| e.to_string())?,
            );
            let surface = self
                .ctx
                .instance
                .create_surface(window.clone())
                .map_err(|e| e.to_string())?;
            let size = window.inner_size();
            let formats = surface.get_capabilities(&self.ctx.adapter).formats;
            let format = formats
                .iter()
                .copied()
                .find(wgpu::TextureFormat::is_srgb)
                .or_else(|| formats.first().copied())
                .ok_or("the window surface offers no format this adapter can draw")?;
            let config = wgpu::SurfaceConfiguration {
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
                format,
                width: size.width.max(1),
                height: size.height.max(1),
                present_mode: wgpu::PresentMode::AutoVsync,
                desired_maximum_frame_latency: 2,
                alpha_mode: wgpu::CompositeAlphaMode::Auto,
                view_formats: vec![],
                color_space: wgpu::SurfaceColorSpace::Auto,
            };
            surface.configure(&self.ctx.device, &config);
            let renderer = LandscapeRenderer::new(&self.ctx.device, format);
            let overlay = Overlay::new(&self.ctx.device, format);
            let egui = egui_winit::State::new(
                overlay.context.clone(),
                egui::ViewportId::ROOT,
                &window,
                Some(window.scale_factor() as f32),
                None,
                Some(self.ctx.limits.max_texture_dimension_2d as usize),
            );
            Ok(Gpu {
                window,
                surface,
                config,
                renderer,
                overlay,
                egui,
            })
        })();
        match result {
            Ok(gpu) => {
                gpu.window.request_redraw();
                self.gpu = Some(gpu);
                self.last_frame = Instant::now();
            }
            Err(e) => {
                self.error = Some(format!("cannot open the window: {e}"));
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        if !matches!(event, WindowEvent::RedrawRequested) {
            self.dirty = true;
        }
        let (egui_keyboard, egui_pointer) = match &mut self.gpu {
            Some(gpu) => {
                let response = gpu.egui.on_window_event(&gpu.window, &event);
                let context = &gpu.overlay.context;
                (
                    response.consumed && context.egui_wants_keyboard_input(),
                    context.is_pointer_over_egui() || context.egui_wants_pointer_input(),
                )
            }
            None => (false, false),
        };
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(_) => self.configure(),
            WindowEvent::RedrawRequested => self.redraw(event_loop),
            WindowEvent::KeyboardInput { event, .. } if !egui_keyboard => {
                if let PhysicalKey::Code(code) = event.physical_key {
                    let pressed = event.state == ElementState::Pressed;
                    self.controls.key(code, pressed);
                    if pressed && !event.repeat {
                        self.key(event_loop, code);
                    }
                }
            }
            WindowEvent::MouseInput {
                state,
                button: MouseButton::Left,
                ..
            } => {
                // A press on the panel is the panel's; a release always ends a drag.
                self.controls.dragging = state == ElementState::Pressed && !egui_pointer;
            }
            WindowEvent::MouseWheel { delta, .. } if !egui_pointer => {
                let lines = match delta {
                    MouseScrollDelta::LineDelta(_, y) => y,
                    MouseScrollDelta::PixelDelta(p) => p.y as f32 / 40.0,
                };
                self.controls.wheel(lines);
            }
            _ => {}
        }
    }

    fn device_event(
        &mut self,
        _: &ActiveEventLoop,
        _: winit::event::DeviceId,
        event: winit::event::DeviceEvent,
    ) {
        if let winit::event::DeviceEvent::MouseMotion { delta } = event {
            self.controls.mouse_moved(delta.0, delta.1);
        }
    }

    fn about_to_wait(&mut self, _: &ActiveEventLoop) {
        // Frames on demand: a full-quality frame costs a second on a software rasteriser,
        // so a still view is not redrawn in a loop.
        let wanted = self.dirty || self.controls.moving() || self.options.frames.is_some();
        if let (Some(gpu), true) = (&self.gpu, wanted) {
            gpu.window.request_redraw();
        }
    }
}
