//! Whole kernels: generated declarations + the hand-written template + the network.

use std::fmt::Write;

use faultline_model::Mlp;

use crate::ShaderError;
use crate::network::{
    Form, auto_form, evaluate_function, network_function, network_row_function, outputs_struct,
    packed_weights, row_factor, sign_words, store_packed_function,
};
use crate::wgsl::{Const, Expr, Ty};

/// The hand-written half of the grid kernel (bindings, parameters, activations).
pub const GRID_EVAL_TEMPLATE: &str = include_str!("../../../shaders/grid_eval.wgsl");
/// The entry point of kernels that store lane by lane.
pub const GRID_MAIN_WGSL: &str = include_str!("../../../shaders/grid_main.wgsl");
/// The entry point of packed kernels (8 cells per invocation, 32-byte stores).
pub const GRID_MAIN_PACKED_WGSL: &str = include_str!("../../../shaders/grid_main_packed.wgsl");
/// The fused entry point `main_flags` of packed kernels: the field and one byte of flags
/// per cell in one pass (rows a multiple of 8 wide; see [`FLAG_ROWS`]).
pub const GRID_FLAGS_PACKED_WGSL: &str = include_str!("../../../shaders/grid_flags_packed.wgsl");
/// Rows per invocation of `main_flags`; its flag bytes are tiled in groups of this many
/// rows (8 bytes per row and block of 8 columns). The WGSL gets it from the prelude.
pub const FLAG_ROWS: usize = 16;
/// The boundary pass's entry point: decision boundary, junctions and pairwise crossings
/// (without the prelude and the rule: see [`boundary_source`]).
pub const BOUNDARY_WGSL: &str = include_str!("../../../shaders/boundary.wgsl");
/// The boundary pass for packed kernels' codes: 8 cells per invocation, 32-byte loads and
/// stores (rows a multiple of 8 wide, at most 2 sign words; needs `SHADER_INT64`); without
/// the prelude and the rule (see [`boundary_packed_source`]).
pub const BOUNDARY_PACKED_WGSL: &str = include_str!("../../../shaders/boundary_packed.wgsl");

/// The per-cell boundary pass module, whole: prelude, rule, entry point.
pub fn boundary_source() -> String {
    crate::prelude::with_rule(BOUNDARY_WGSL, "boundary.wgsl")
}

/// The packed boundary pass module, whole: prelude, rule, entry point.
pub fn boundary_packed_source() -> String {
    crate::prelude::with_rule(BOUNDARY_PACKED_WGSL, "boundary_packed.wgsl")
}

/// The most outputs a GPU kernel handles: its argmax is unrolled over C, and each
/// invocation keeps its points' C outputs in registers. Wider models run on the CPU
/// engine, which has no limit (`--backend auto` takes it for them).
pub const MAX_CHANNELS: usize = 1024;

/// How to generate a grid kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelOptions {
    /// Points per invocation: 1 (`f32` lanes) or 4 (`vec4<f32>` lanes).
    pub lanes: u32,
    /// The network's form; `None` picks by size ([`auto_form`]).
    pub form: Option<Form>,
    /// How results are stored.
    pub stores: Stores,
}

/// How a kernel writes its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stores {
    /// Let the evaluator choose for its adapter ([`Stores::Lanes`] when generating alone).
    #[default]
    Auto,
    /// Each point's values stored one by one: portable WGSL, best on hardware GPUs.
    Lanes,
    /// Eight cells per invocation written as 32-byte `vec4<u64>` words: needs
    /// `SHADER_INT64`; on llvmpipe (lavapipe) it cuts the store loops that dominate the
    /// kernel 4x. Needs `lanes == 4`.
    Packed,
}

impl Default for KernelOptions {
    /// Four points per invocation (measured fastest on lavapipe, BENCHMARKS.md), form by
    /// size.
    fn default() -> Self {
        KernelOptions {
            lanes: 4,
            form: None,
            stores: Stores::Auto,
        }
    }
}

/// A generated grid kernel and what the host needs to run it.
#[derive(Debug, Clone)]
pub struct GridKernel {
    /// The complete WGSL module (entry point `main`).
    pub source: String,
    /// The form used.
    pub form: Form,
    /// Points per invocation.
    pub lanes: u32,
    /// Outputs per point, C.
    pub channels: usize,
    /// u32 words per cell of the sign mask.
    pub sign_words: usize,
    /// Contents of the `weights` binding (empty for the unrolled form).
    pub weights: Vec<f32>,
    /// Whether the kernel is packed ([`Stores::Packed`]): 8 cells per invocation,
    /// flattened dispatch, 8 cells of slack in every buffer.
    pub packed: bool,
    /// For packed kernels whose `network_row` shares the first layer's exponentials along
    /// a row: the largest |weight on x| of that layer (see
    /// [`crate::network::row_factor`]). The override `ROW_ALIGNED` selects it.
    pub row_factor: Option<f32>,
}

/// Cells per invocation of a packed kernel (and the slack its buffers need).
pub const PACKED_CELLS: usize = 8;

/// Generates the grid kernel for `mlp`.
pub fn grid_kernel(mlp: &Mlp, options: KernelOptions) -> Result<GridKernel, ShaderError> {
    if mlp.inputs() != 2 {
        return Err(ShaderError::Unsupported(format!(
            "grid kernels need a model with 2 inputs, this one has {}",
            mlp.inputs()
        )));
    }
    if mlp.outputs() > MAX_CHANNELS {
        return Err(ShaderError::Unsupported(format!(
            "{} outputs is more than the {MAX_CHANNELS} a GPU kernel handles; --backend cpu evaluates any number",
            mlp.outputs()
        )));
    }
    if !matches!(options.lanes, 1 | 4) {
        return Err(ShaderError::Unsupported(format!(
            "{} points per invocation; 1 or 4 are supported",
            options.lanes
        )));
    }
    let packed = options.stores == Stores::Packed;
    if packed && options.lanes != 4 {
        return Err(ShaderError::Unsupported(
            "packed stores need 4 points per invocation".into(),
        ));
    }
    let form = options.form.unwrap_or_else(|| auto_form(mlp));
    let channels = mlp.outputs();
    let words = sign_words(channels);
    let (lane_ty, lane_u_ty, offsets) = if options.lanes == 4 {
        (
            Ty::Vec4F32,
            Ty::Vec4U32,
            Expr::call("V", (0..4).map(|l| Expr::F32(l as f32)).collect()),
        )
    } else {
        (Ty::F32, Ty::U32, Expr::F32(0.0))
    };
    let mut source = String::new();
    let _ = writeln!(
        source,
        "// ---- generated by faultline-shader: declarations ----"
    );
    let _ = writeln!(source, "alias V = {lane_ty};");
    let _ = writeln!(source, "alias VU = {lane_u_ty};");
    let (field_elem, index_elem) = if packed {
        ("vec4<u64>", "vec4<u64>")
    } else {
        ("f32", "u32")
    };
    let _ = writeln!(source, "alias FieldElem = {field_elem};");
    let _ = writeln!(source, "alias IndexElem = {index_elem};");
    for c in [
        Const {
            name: "LANES".into(),
            ty: Ty::U32,
            value: Expr::U32(options.lanes),
        },
        Const {
            name: "LANE_OFFSETS".into(),
            ty: Ty::Lane,
            value: offsets,
        },
        Const {
            name: "CHANNELS".into(),
            ty: Ty::U32,
            value: Expr::U32(channels as u32),
        },
        Const {
            name: "SIGN_WORDS".into(),
            ty: Ty::U32,
            value: Expr::U32(words as u32),
        },
    ] {
        let _ = write!(source, "{c}");
    }
    source.push_str(&crate::prelude::prelude());
    let _ = writeln!(source, "\n// ---- shaders/grid_eval.wgsl ----");
    source.push_str(GRID_EVAL_TEMPLATE);
    let (main, main_name) = if packed {
        (GRID_MAIN_PACKED_WGSL, "grid_main_packed.wgsl")
    } else {
        (GRID_MAIN_WGSL, "grid_main.wgsl")
    };
    let _ = writeln!(source, "\n// ---- shaders/{main_name} ----");
    source.push_str(main);
    if packed {
        let _ = writeln!(source, "\n// ---- shaders/boundary_rule.wgsl ----");
        source.push_str(crate::prelude::BOUNDARY_RULE_WGSL);
        let _ = writeln!(source, "\n// ---- shaders/grid_flags_packed.wgsl ----");
        source.push_str(GRID_FLAGS_PACKED_WGSL);
    }
    let _ = writeln!(
        source,
        "\n// ---- generated by faultline-shader: the network ----"
    );
    if packed {
        let _ = write!(source, "{}", outputs_struct(channels));
        let _ = write!(source, "{}", network_function(mlp, form));
        let _ = write!(source, "{}", network_row_function(mlp, form));
        let _ = write!(source, "{}", store_packed_function(channels));
    } else {
        let _ = write!(source, "{}", evaluate_function(mlp, form, options.lanes));
    }
    Ok(GridKernel {
        source,
        form,
        lanes: options.lanes,
        channels,
        sign_words: words,
        weights: match form {
            Form::Unrolled => Vec::new(),
            Form::Looped => packed_weights(mlp),
        },
        packed,
        row_factor: if packed { row_factor(mlp, form) } else { None },
    })
}

/// The kernel as `faultline export --wgsl` writes it: a header saying what it computes and
/// how to bind it, then the module. Looped kernels list their weights in the header too,
/// as they live in a buffer.
pub fn export_source(mlp: &Mlp, kernel: &GridKernel) -> String {
    let mut h = String::new();
    let _ = writeln!(
        h,
        "// Faultline grid kernel for a {} MLP ({}).",
        mlp.architecture(),
        activations(mlp)
    );
    let _ = writeln!(
        h,
        "// Generated by faultline {}; {} form, {} point(s) per invocation.",
        env!("CARGO_PKG_VERSION"),
        match kernel.form {
            Form::Unrolled => "unrolled (weights baked in as literals)",
            Form::Looped => "looped (weights in binding 4)",
        },
        kernel.lanes
    );
    let _ = writeln!(h, "//");
    let _ = writeln!(
        h,
        "// Computes, for each sample (r, c) of a tile of a W x H grid with x = x0 + dx * c and"
    );
    let _ = writeln!(
        h,
        "// y = y0 + dy * r: the {} outputs z_k after the output activation, their argmax",
        kernel.channels
    );
    let _ = writeln!(
        h,
        "// (lowest index wins ties) and the signs of z_i - z_j > 0 for every pair i < j."
    );
    let _ = writeln!(h, "//");
    let _ = writeln!(h, "// Bind (group 0):");
    let _ = writeln!(
        h,
        "//   0 uniform GridParams {{ origin: vec2<f32> (x0, y0), step: vec2<f32> (dx, dy),"
    );
    let _ = writeln!(
        h,
        "//       col_offset, row_offset, tile_cols, tile_rows, grid_cols, grid_rows: u32 }}"
    );
    let _ = writeln!(
        h,
        "//   1 storage read_write field: array<f32>    [tile_rows, tile_cols, {}] row-major",
        kernel.channels
    );
    let _ = writeln!(
        h,
        "//   2 storage read_write classes: array<u32>  [tile_rows, tile_cols]"
    );
    let _ = writeln!(
        h,
        "//   3 storage read_write signs: array<u32>    [tile_rows, tile_cols, {}] (bit p of pair p)",
        kernel.sign_words
    );
    let _ = writeln!(
        h,
        "//   4 storage read weights: array<f32>        {}",
        if kernel.weights.is_empty() {
            "unused: bind any 4-byte buffer".to_string()
        } else {
            format!(
                "{} values: per layer [out, in] weights, then biases",
                kernel.weights.len()
            )
        }
    );
    let _ = writeln!(
        h,
        "// Dispatch (ceil(ceil(tile_cols / {}) / WORKGROUP_SIZE), tile_rows, 1); WORKGROUP_SIZE is an",
        kernel.lanes
    );
    let _ = writeln!(
        h,
        "// override constant (default 64); so are WRITE_FIELD and WRITE_CLASSES (default true)."
    );
    let _ = writeln!(h);
    h.push_str(&kernel.source);
    h
}

fn activations(mlp: &Mlp) -> String {
    let names: Vec<String> = mlp.layers().iter().map(|l| l.activation.name()).collect();
    names.join(", ")
}
