//! The winit application: window, surface, event handling, frame loop, screenshots.

mod frame;
mod input;

pub use input::DRAGGING_RESOLUTION;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use faultline_gpu::GpuContext;
use faultline_model::slice::LiveSlice;
use faultline_model::{Domain, Mlp};
use faultline_render::framing::CameraChoice;
use faultline_render::{
    Camera, LandscapeRenderer, Mode, Overlay, SampleDots, Scene, SceneEngine, ViewOptions,
    annotate, render_rgba,
};
use winit::application::ApplicationHandler;
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::keyboard::{KeyCode, PhysicalKey};
use winit::window::{Window, WindowId};

use crate::ViewerError;
use crate::controls::{CameraMode, Controls};
use crate::panel::{self, PanelActions, PanelInfo};
use crate::playback::Playback;

/// Writes a PNG from RGBA8 rows (path, pixels, width, height).
pub type PngWriter = Box<dyn Fn(&std::path::Path, &[u8], u32, u32) -> Result<(), String>>;

/// How the viewer starts.
pub struct ViewerOptions {
    /// The model (two inputs: a wider one already folded onto `slice`'s plane).
    pub model: Mlp,
    /// For a wider model, the plane shown and how the panel's slice controls move it.
    pub slice: Option<LiveSlice>,
    /// Data samples drawn on the surfaces (placed again when the slice moves).
    pub data: Option<SampleDots>,
    /// A short name for the title bar.
    pub name: String,
    /// The input rectangle.
    pub domain: Domain,
    /// Grid samples per side.
    pub resolution: usize,
    /// Where the camera starts (and R returns to): framed to the scene unless placed.
    pub camera: CameraChoice,
    /// The starting view options.
    pub view: ViewOptions,
    /// Render this many frames, then exit (how tests drive the real window).
    pub frames: Option<u64>,
    /// With `frames` and a slice: move the slice through its range, one step a frame (a
    /// drag released on the last), timing each move (how the slice is measured).
    pub sweep_slice: bool,
    /// With `frames`: zoom 2x around this point of the domain on every frame, timing each
    /// zoom to its picture (how deep zoom is measured).
    pub sweep_zoom: Option<[f64; 2]>,
    /// The model's training snapshots, for the panel's epoch slider and playback.
    pub playback: Option<Playback>,
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
    /// Seconds from each slice move to its picture presented (fold, evaluate, upload,
    /// draw), and whether it was a move while dragging (coarse) or a release (full).
    pub slice_seconds: Vec<(f64, bool)>,
    /// Seconds of each frame drawn while playback was playing (evaluate the interpolated
    /// network coarsely, upload, draw, present).
    pub playing_frame_seconds: Vec<f64>,
    /// Seconds from each zoom to its picture presented (evaluate the new window at full
    /// resolution, upload, draw).
    pub zoom_seconds: Vec<f64>,
    /// The domain shown at the end.
    pub final_domain: Option<Domain>,
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
    /// Where the camera starts and R returns to.
    home: Camera,
    view: ViewOptions,
    controls: Controls,
    last_frame: Instant,
    report: ViewerReport,
    frame_seconds: f64,
    error: Option<String>,
    screenshot_requested: bool,
    /// Whether the overlay panel is shown (Tab toggles it).
    show_panel: bool,
    /// The field is coarse (a slice slider is dragged, or playback is playing): frames are
    /// drawn coarse and fast.
    coarse: bool,
    /// The training snapshots and where playback is.
    playback: Option<Playback>,
    /// When the slice last moved and whether while dragging, until its picture is
    /// presented.
    move_started: Option<(Instant, bool)>,
    /// The whole two-input network on the current plane (`options.model` is what is
    /// shown: it, or one hidden neuron of it).
    network: Mlp,
    /// The hidden neuron shown (layer, index), if any.
    neuron: Option<(usize, usize)>,
    /// Each hidden neuron's active share and whether it is dead, per layer (the panel's
    /// list), measured on a coarse grid over the current plane.
    activity: Vec<Vec<(f64, bool)>>,
    /// The domain the viewer opened on (or the slice's): what "the whole domain" is.
    whole_domain: Domain,
    /// The zoomed window, while zoomed in (kept when the slice moves or playback plays).
    zoom: Option<Domain>,
    /// When the last zoom started, until its picture is presented.
    zoom_started: Option<Instant>,
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
    let mut scene = scene;
    place_dots(&mut scene, &options);
    let network = options.model.clone();
    let playback = options.playback.clone();
    let whole_domain = options.domain;
    let activity = activity(&network, options.domain);
    // Framed for the window's starting size (16:9).
    let home = options
        .camera
        .resolve(&scene, 16.0 / 9.0, options.view.height_scale);
    let mut app = App {
        network,
        neuron: None,
        activity,
        camera: home,
        home,
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
        coarse: false,
        playback,
        whole_domain,
        zoom: None,
        zoom_started: None,
        move_started: None,
        dirty: true,
    };
    event_loop
        .run_app(&mut app)
        .map_err(|e| ViewerError::Other(e.to_string()))?;
    if let Some(e) = app.error {
        return Err(ViewerError::Other(e));
    }
    app.report.mean_frame_seconds = app.frame_seconds / app.report.frames.max(1) as f64;
    app.report.final_domain = Some(app.options.domain);
    Ok(app.report)
}

/// Samples per side of the grid the panel's neuron figures are measured on.
const ACTIVITY_GRID: usize = 128;

/// Each hidden neuron's active share and dead flag (`faultline analyze`'s figures) on a
/// coarse grid over `domain`.
fn activity(network: &Mlp, domain: Domain) -> Vec<Vec<(f64, bool)>> {
    let Ok(grid) = faultline_model::GridSpec::new(domain, ACTIVITY_GRID, ACTIVITY_GRID) else {
        return Vec::new();
    };
    faultline_analysis::analyze(network, &grid)
        .layers
        .iter()
        .map(|l| l.neurons.iter().map(|n| (n.active, n.dead)).collect())
        .collect()
}

/// Puts `options.data`'s samples on `scene`, on the plane the slice shows now.
fn place_dots(scene: &mut Scene, options: &ViewerOptions) {
    let Some(data) = &options.data else {
        return;
    };
    let plane = options.slice.as_ref().and_then(|s| s.plane().ok());
    scene.dots = data.on(
        plane.as_ref().map(|(p, _)| p),
        &options.domain,
        &options.model,
    );
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
        let mode = match (self.neuron, self.view.mode) {
            (Some((l, j)), _) => format!("layer {l} neuron {j}"),
            (None, Mode::All) => "all surfaces".to_string(),
            (None, Mode::Envelope) => "envelope".to_string(),
            (None, Mode::Single(k)) => self.options.model.class_names()[k].clone(),
        };
        let camera = match self.controls.mode {
            CameraMode::Fly => "fly",
            CameraMode::Orbit => "orbit",
        };
        let epoch = match &self.playback {
            Some(p) => format!(" | epoch {:.1}", p.epoch),
            None => String::new(),
        };
        format!(
            "Faultline: {} ({}){epoch} | {mode} | {camera} | {}^2 | {:.0} ms/frame",
            self.options.name,
            self.options.model.architecture(),
            self.scene.width,
            1e3 * self.frame_seconds / self.report.frames.max(1) as f64
        )
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
        let playing = self.playback.as_ref().is_some_and(|p| p.playing);
        let wanted =
            self.dirty || playing || self.controls.moving() || self.options.frames.is_some();
        if let (Some(gpu), true) = (&self.gpu, wanted) {
            gpu.window.request_redraw();
        }
    }
}
