//! The network half of a grid kernel: `fn evaluate(x: V, y: V, cell: u32, lanes: u32)`.
//!
//! Two forms, chosen by size:
//! - unrolled: every weight is a literal in straight-line code and every neuron a `let`
//!   (values stay in registers; no arrays, no loads). Fast to run; its compile time on
//!   software adapters grows with the net (BENCHMARKS.md has the figures).
//! - looped: weights in a storage buffer, layers as loops over function-scope arrays.
//!   Compiles in milliseconds at any size, runs slower; used above [`UNROLL_LIMIT`].

mod codes;
mod layers;
mod packed;

use faultline_model::{Activation, Mlp, pair_count};

use codes::{argmax_and_signs, stores};
use layers::{looped_layers, unrolled_layers, unrolled_layers_from};
use packed::row_sigmoid;

use crate::wgsl::{Expr, Function, Stmt, Ty};

/// Networks with at most this many multiply-adds per point are unrolled.
pub const UNROLL_LIMIT: usize = 8192;

/// How the network is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Straight-line code with the weights as literals.
    Unrolled,
    /// Loops over weights read from the `weights` storage buffer.
    Looped,
}

/// Multiply-adds per point: the sum of `in * out` over the layers.
pub fn multiply_adds(mlp: &Mlp) -> usize {
    mlp.layers().iter().map(|l| l.inputs * l.outputs).sum()
}

/// The form [`Form`] the generator picks for `mlp` when not told.
pub fn auto_form(mlp: &Mlp) -> Form {
    if multiply_adds(mlp) <= UNROLL_LIMIT {
        Form::Unrolled
    } else {
        Form::Looped
    }
}

/// u32 words per cell for the pair sign mask of `channels` outputs (at least 1; one word,
/// always 0, where crossings are not tracked: `faultline_model::arrays::tracks_crossings`).
pub fn sign_words(channels: usize) -> usize {
    if !faultline_model::arrays::tracks_crossings(channels) {
        return 1;
    }
    pair_count(channels).div_ceil(32).max(1)
}

/// The weights buffer of the looped form: per layer, `[out, in]` weights then biases.
pub fn packed_weights(mlp: &Mlp) -> Vec<f32> {
    mlp.layers()
        .iter()
        .flat_map(|l| l.weight.iter().chain(&l.bias).copied())
        .collect()
}

/// The component name of lane `l` (`x`, `y`, `z`, `w`), or `None` for one lane.
fn lane(lanes: u32, l: u32) -> Option<&'static str> {
    (lanes > 1).then(|| ["x", "y", "z", "w"][l as usize])
}

fn lane_of(e: Expr, lanes: u32, l: u32) -> Expr {
    match lane(lanes, l) {
        Some(c) => e.member(c),
        None => e,
    }
}

fn v(value: Expr) -> Expr {
    Expr::call("V", vec![value])
}

fn vu(value: Expr) -> Expr {
    Expr::call("VU", vec![value])
}

/// `activation(value)` for element-wise activations (softmax is handled per layer).
fn activate(activation: Activation, value: Expr) -> Expr {
    match activation {
        Activation::Identity | Activation::Softmax => value,
        Activation::Sigmoid => Expr::call("sigmoid", vec![value]),
        Activation::Tanh => Expr::call("tanh_safe", vec![value]),
        Activation::Relu => Expr::call("relu", vec![value]),
        Activation::LeakyRelu(slope) => {
            Expr::call("leaky_relu", vec![value, Expr::F32(slope.get())])
        }
    }
}

/// The form's name in generated comments.
fn form_name(form: Form) -> &'static str {
    match form {
        Form::Unrolled => "unrolled",
        Form::Looped => "looped",
    }
}

/// Appends the network's layers in `form` to `body`; returns `z(k)`, the expression of
/// output k after its activation.
fn layers(mlp: &Mlp, form: Form, body: &mut Vec<Stmt>) -> Box<dyn Fn(usize) -> Expr> {
    match form {
        Form::Unrolled => {
            body.extend(unrolled_layers(mlp));
            Box::new(|k| Expr::name(format!("z{k}")))
        }
        Form::Looped => {
            body.extend(looped_layers(mlp));
            Box::new(|k| Expr::name("z").index(Expr::U32(k as u32)))
        }
    }
}

/// Builds `evaluate` for `mlp` with `lanes` points per invocation (1 or 4).
pub fn evaluate_function(mlp: &Mlp, form: Form, lanes: u32) -> Function {
    let channels = mlp.outputs();
    let mut body = vec![Stmt::Comment(format!(
        "{} network, {} form, {} point(s) per invocation",
        mlp.architecture(),
        form_name(form),
        lanes
    ))];
    let z = layers(mlp, form, &mut body);
    body.extend(argmax_and_signs(channels, mlp.threshold(), &z));
    body.extend(stores(channels, lanes, &z));
    Function {
        doc: vec![
            "Evaluates the network on LANES points and stores their field values, class and".into(),
            "pair sign mask (see grid_eval.wgsl).".into(),
        ],
        name: "evaluate".into(),
        params: vec![
            ("x".into(), Ty::Lane),
            ("y".into(), Ty::Lane),
            ("cell".into(), Ty::U32),
            ("lanes".into(), Ty::U32),
        ],
        ret: None,
        body,
    }
}

/// The struct the packed form's `network` returns: four points' outputs, classes and
/// sign words.
pub fn outputs_struct(channels: usize) -> String {
    let words = sign_words(channels);
    format!(
        "struct Outputs {{\n    z: array<V, {channels}>,\n    winner: VU,\n    signs: array<VU, {words}>,\n}}\n"
    )
}

pub use packed::{
    ROW_RATIO_LIMIT, network_function, network_row_function, row_factor, store_packed_function,
};
