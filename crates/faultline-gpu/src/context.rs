//! The wgpu instance, adapter and device.

use std::sync::{Arc, Mutex};

use crate::GpuError;

/// Environment variable: a case-insensitive substring of the adapter name (or its backend,
/// `vulkan`, `gl`, ...) to use, e.g. `FAULTLINE_ADAPTER=llvmpipe`.
pub const ADAPTER_ENV: &str = "FAULTLINE_ADAPTER";
/// Environment variable: `1` makes a missing adapter an error everywhere (tests, `auto`).
pub const REQUIRE_GPU_ENV: &str = "FAULTLINE_REQUIRE_GPU";

/// Environment variable: `hardware` makes the GPU engine run on any adapter as it does
/// on a discrete GPU (lane stores, readback through `MAP_READ` copies, no packed kernels
/// unless asked); `software` or unset: the software path where the adapter is one.
pub const GPU_PATH_ENV: &str = "FAULTLINE_GPU_PATH";

/// How the GPU engine runs on its adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuPath {
    /// What discrete GPUs take: kernels that store lane by lane, results copied into
    /// mappable readback buffers.
    Hardware,
    /// What software adapters (lavapipe) take: packed 32-byte stores, results mapped
    /// straight from the storage buffers (the "device memory" is host memory).
    Software,
}

impl GpuPath {
    /// Its name in reports and in `FAULTLINE_GPU_PATH`.
    pub fn name(self) -> &'static str {
        match self {
            GpuPath::Hardware => "hardware",
            GpuPath::Software => "software",
        }
    }

    /// What `FAULTLINE_GPU_PATH` asks for: `None` for the adapter's own path.
    pub fn from_env() -> Result<Option<GpuPath>, GpuError> {
        match std::env::var(GPU_PATH_ENV).as_deref() {
            Err(_) | Ok("") | Ok("auto") => Ok(None),
            Ok("hardware") => Ok(Some(GpuPath::Hardware)),
            Ok("software") => Ok(Some(GpuPath::Software)),
            Ok(other) => Err(GpuError::Device(format!(
                "{GPU_PATH_ENV}={other}: expected hardware, software or auto"
            ))),
        }
    }
}

/// Whether `FAULTLINE_REQUIRE_GPU=1` is set.
pub fn gpu_required() -> bool {
    std::env::var(REQUIRE_GPU_ENV).is_ok_and(|v| v == "1")
}

/// A context for a test: None, with a note on stderr, where no adapter can be had; a
/// panic instead where `FAULTLINE_REQUIRE_GPU=1` (CI), so a missing GPU never passes
/// silently there.
pub fn context_for_test() -> Option<GpuContext> {
    match GpuContext::new() {
        Ok(ctx) => Some(ctx),
        Err(e) if gpu_required() => panic!("{REQUIRE_GPU_ENV}=1 but: {e}"),
        Err(e) => {
            eprintln!("skipping GPU test: {e}");
            None
        }
    }
}

/// A device and queue on the chosen adapter, with the adapter's own limits. Cloning is
/// cheap (wgpu's handles are shared), so evaluators and renderers own a clone.
#[derive(Clone)]
pub struct GpuContext {
    /// The instance the adapter came from (windows create their surfaces from it).
    pub instance: wgpu::Instance,
    /// The adapter (windows ask it which surface formats it can present).
    pub adapter: wgpu::Adapter,
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// What the adapter is.
    pub adapter_info: wgpu::AdapterInfo,
    /// The limits the device was opened with (the adapter's).
    pub limits: wgpu::Limits,
    /// The path the GPU engine takes on this adapter.
    pub path: GpuPath,
    errors: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Hardware first, then software; Vulkan/Metal/DX12 before GL.
fn rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let device = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    };
    let backend = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (device, backend)
}

impl GpuContext {
    /// Opens the best adapter, or the one `FAULTLINE_ADAPTER` names, with no display.
    pub fn new() -> Result<GpuContext, GpuError> {
        GpuContext::with_instance(wgpu::Instance::new(
            wgpu::InstanceDescriptor::new_without_display_handle_from_env(),
        ))
    }

    /// Like [`GpuContext::new`] on a given instance (one made with a display handle, for
    /// windows).
    pub fn with_instance(instance: wgpu::Instance) -> Result<GpuContext, GpuError> {
        GpuContext::open(instance, GpuPath::from_env()?)
    }

    /// Opens the best adapter (or the one `FAULTLINE_ADAPTER` names) for `path`, or for the
    /// adapter's own path when `None` (software adapters: [`GpuPath::Software`]). Tests
    /// open both paths on one adapter.
    pub fn with_path(path: Option<GpuPath>) -> Result<GpuContext, GpuError> {
        GpuContext::open(
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env()),
            path,
        )
    }

    fn open(instance: wgpu::Instance, path: Option<GpuPath>) -> Result<GpuContext, GpuError> {
        let mut adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        let wanted = std::env::var(ADAPTER_ENV).ok().filter(|s| !s.is_empty());
        if let Some(wanted) = &wanted {
            let needle = wanted.to_lowercase();
            let names: Vec<String> = adapters
                .iter()
                .map(|a| describe_info(&a.get_info()))
                .collect();
            adapters.retain(|a| {
                let info = a.get_info();
                info.name.to_lowercase().contains(&needle)
                    || format!("{:?}", info.backend)
                        .to_lowercase()
                        .contains(&needle)
            });
            if adapters.is_empty() {
                return Err(GpuError::NoAdapter(format!(
                    "no GPU adapter matches {ADAPTER_ENV}={wanted} (found: {})",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join("; ")
                    }
                )));
            }
        }
        adapters.sort_by_key(|a| rank(&a.get_info()));
        let adapter = adapters.into_iter().next().ok_or_else(|| {
            GpuError::NoAdapter(
                "no GPU adapter found (on machines without a GPU install Mesa's software \
                 Vulkan driver: apt install mesa-vulkan-drivers)"
                    .into(),
            )
        })?;
        let limits = adapter.limits();
        let software = adapter.get_info().device_type == wgpu::DeviceType::Cpu;
        let path = path.unwrap_or(if software {
            GpuPath::Software
        } else {
            GpuPath::Hardware
        });
        // 64-bit integers wherever the adapter has them (packed kernels need them, on any
        // path); mapping storage buffers only on the software path, as a discrete GPU
        // would not.
        let wanted = match path {
            GpuPath::Software => {
                wgpu::Features::MAPPABLE_PRIMARY_BUFFERS | wgpu::Features::SHADER_INT64
            }
            GpuPath::Hardware => wgpu::Features::SHADER_INT64,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("faultline"),
            required_features: adapter.features() & wanted,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::Device(e.to_string()))?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock().expect("error sink").push(e.to_string());
        }));
        Ok(GpuContext {
            instance,
            device,
            queue,
            adapter_info: adapter.get_info(),
            adapter,
            limits,
            path,
            errors,
        })
    }

    /// `name (backend, type)`.
    pub fn describe(&self) -> String {
        describe_info(&self.adapter_info)
    }

    /// Whether the adapter is a software rasteriser (lavapipe, llvmpipe, WARP...).
    pub fn is_software(&self) -> bool {
        self.adapter_info.device_type == wgpu::DeviceType::Cpu
    }

    /// `name (backend, type), PATH path`.
    pub fn describe_with_path(&self) -> String {
        format!("{}, {} path", self.describe(), self.path.name())
    }

    /// Whether shaders on this device may use 64-bit integers (packed kernels need them).
    pub fn has_int64(&self) -> bool {
        self.device
            .features()
            .contains(wgpu::Features::SHADER_INT64)
    }

    /// Whether grid kernels should store packed 32-byte words: on the software path with
    /// 64-bit integers (llvmpipe loops over its SIMD lanes once per store).
    pub fn prefers_packed_stores(&self) -> bool {
        self.path == GpuPath::Software && self.has_int64()
    }

    /// Whether results can be mapped straight from the storage buffers the kernels write:
    /// on the software path, where "device memory" is host memory and a copy to a
    /// separate readback buffer would only add a pass over the data.
    pub fn maps_storage_directly(&self) -> bool {
        self.path == GpuPath::Software
            && self
                .device
                .features()
                .contains(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS)
    }

    /// Returns (and clears) the errors wgpu reported outside error scopes.
    pub fn take_errors(&self) -> Result<(), GpuError> {
        let mut errors = self.errors.lock().expect("error sink");
        if errors.is_empty() {
            Ok(())
        } else {
            let all = errors.join("; ");
            errors.clear();
            Err(GpuError::Wgpu(all))
        }
    }

    /// Blocks until the queue is idle, then reports any error wgpu raised.
    pub fn wait(&self) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Wgpu(e.to_string()))?;
        self.take_errors()
    }
}

fn describe_info(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
}
