//! The packed kernel's network functions: `network` (four points' outputs, classes and
//! sign words), `network_row` (the first layer's exponentials shared along a row) and
//! `store_packed` (eight cells' results as 32-byte words).

use faultline_model::{Activation, Layer, Mlp};

use super::*;
use crate::wgsl::{BinOp, Expr, Function, Stmt, Ty};

/// Builds `fn network(x: V, y: V) -> Outputs` for the packed kernel: the outputs, argmax
/// and sign words of four points, with no stores.
pub fn network_function(mlp: &Mlp, form: Form) -> Function {
    packed_network(mlp, form, false)
}

/// The largest |weight on x| of the first layer when `fn network_row` shares that layer's
/// exponentials along a row (unrolled form, sigmoid first layer), else `None`.
///
/// Along a row the pre-activation `a = b + wx x + wy y` of a first-layer neuron changes
/// by `wx dx` per column, so `exp(-a)` at four consecutive columns is one exponential
/// times `1, q, q^2, q^3` with `q = exp(-wx dx)`: 1 + 1/4 exponentials per point instead
/// of 4 per 4 points' neuron. The evaluator uses it while `3 |wx dx|` is small enough
/// that no power of `q` overflows ([`ROW_RATIO_LIMIT`]).
pub fn row_factor(mlp: &Mlp, form: Form) -> Option<f32> {
    let first = mlp.layers().first()?;
    (form == Form::Unrolled && first.activation == Activation::Sigmoid).then(|| {
        (0..first.outputs)
            .map(|o| first.w(o, 0).abs())
            .fold(0.0, f32::max)
    })
}

/// The largest `|wx dx|` for which the row-shared first layer is used: `q^3` stays below
/// e^60, so products with `q` never overflow to a NaN (an exponential that overflows
/// alone gives inf and a sigmoid of 0, as the direct form does).
pub const ROW_RATIO_LIMIT: f32 = 20.0;

/// Builds `fn network_row(x: V, y: V) -> Outputs`: [`network_function`] for four
/// consecutive cells of one row (the kernel calls it when every row is a multiple of 8
/// wide). Where [`row_factor`] applies it computes the first layer's exponentials from
/// lane x's; otherwise it is `network`.
pub fn network_row_function(mlp: &Mlp, form: Form) -> Function {
    if row_factor(mlp, form).is_none() {
        return Function {
            doc: vec!["Four consecutive cells of a row: nothing to share here.".into()],
            name: "network_row".into(),
            params: vec![("x".into(), Ty::Lane), ("y".into(), Ty::Lane)],
            ret: Some(Ty::Named("Outputs")),
            body: vec![Stmt::Return(Expr::call(
                "network",
                vec![Expr::name("x"), Expr::name("y")],
            ))],
        };
    }
    packed_network(mlp, form, true)
}

/// `network` (or `network_row` when `row`) for the packed kernel.
pub(super) fn packed_network(mlp: &Mlp, form: Form, row: bool) -> Function {
    let channels = mlp.outputs();
    let words = sign_words(channels);
    let mut body = vec![Stmt::Comment(format!(
        "{} network, {} form, 4 points per call{}",
        mlp.architecture(),
        form_name(form),
        if row {
            ", consecutive columns of one row"
        } else {
            ""
        }
    ))];
    let z: Box<dyn Fn(usize) -> Expr> = if row {
        body.extend(unrolled_layers_from(mlp, true));
        Box::new(|k| Expr::name(format!("z{k}")))
    } else {
        layers(mlp, form, &mut body)
    };
    body.extend(argmax_and_signs(channels, mlp.threshold(), &z));
    let outputs = match form {
        Form::Unrolled => Expr::call(
            format!("array<V, {channels}>"),
            (0..channels).map(&z).collect(),
        ),
        Form::Looped => Expr::name("z"),
    };
    let signs = Expr::call(
        format!("array<VU, {words}>"),
        (0..words).map(|w| Expr::name(format!("s{w}"))).collect(),
    );
    body.push(Stmt::Return(Expr::call(
        "Outputs",
        vec![outputs, Expr::name("winner"), signs],
    )));
    let (name, doc) = if row {
        (
            "network_row",
            vec![
                "network() for four consecutive cells of one row: the first layer's".into(),
                "exponentials come from lane x's and the ratio between columns.".into(),
            ],
        )
    } else {
        (
            "network",
            vec!["The outputs, class and pair sign words of four points (packed kernel).".into()],
        )
    };
    Function {
        doc,
        name: name.into(),
        params: vec![("x".into(), Ty::Lane), ("y".into(), Ty::Lane)],
        ret: Some(Ty::Named("Outputs")),
        body,
    }
}

/// The sigmoid first-layer neuron `o` of four consecutive cells of a row from one
/// exponential: `1 / (1 + e0 * (1, q, q^2, q^3))`, `e0 = exp(-a)` at lane x and
/// `q = exp(-wx dx)`.
pub(super) fn row_sigmoid(layer: &Layer, o: usize, body: &mut Vec<Stmt>, name: String) {
    let (wx, wy) = (layer.w(o, 0), layer.w(o, 1));
    let q = format!("q0_{o}");
    let qq = format!("qq0_{o}");
    let dx = Expr::name("params").member("step").member("x");
    body.push(Stmt::let_(
        q.clone(),
        Expr::call("exp", vec![dx.times(Expr::F32(-wx))]),
    ));
    body.push(Stmt::let_(
        qq.clone(),
        Expr::name(q.clone()).times(Expr::name(q.clone())),
    ));
    let e0 = Expr::call(
        "exp",
        vec![Expr::sum(vec![
            Expr::F32(-layer.bias[o]),
            Expr::name("x").member("x").times(Expr::F32(-wx)),
            Expr::name("y").member("x").times(Expr::F32(-wy)),
        ])],
    );
    let powers = Expr::call(
        "V",
        vec![
            Expr::F32(1.0),
            Expr::name(q.clone()),
            Expr::name(qq.clone()),
            Expr::name(qq).times(Expr::name(q)),
        ],
    );
    body.push(Stmt::let_(
        name,
        Expr::F32(1.0).bin(BinOp::Div, Expr::F32(1.0).plus(e0.times(powers))),
    ));
}

/// Builds `fn store_packed(first: u32, a: Outputs, b: Outputs)`: the eight cells
/// `first..first + 8` (`a` holds the first four) written as 32-byte `vec4<u64>` words, C
/// of the field, one of classes and one per sign word. `first` is a multiple of 8.
pub fn store_packed_function(channels: usize) -> Function {
    let words = sign_words(channels);
    let comp = ["x", "y", "z", "w"];
    // The value of point p (0..8) taken from `a` or `b` by `pick`.
    let point = |p: usize, pick: &dyn Fn(Expr) -> Expr| {
        let half = if p < 4 { "a" } else { "b" };
        pick(Expr::name(half)).member(comp[p % 4])
    };
    // `n` values per point, flattened point-major, packed two per u64, four per store.
    let words_of = |n: usize, packer: &str, value: &dyn Fn(usize, usize) -> Expr| {
        (0..n)
            .map(|j| {
                let u64s = (0..4)
                    .map(|q| {
                        let flat = |e: usize| value(e / n, e % n);
                        let e = 8 * j + 2 * q;
                        Expr::call(packer, vec![flat(e), flat(e + 1)])
                    })
                    .collect();
                Expr::call("vec4<u64>", u64s)
            })
            .collect::<Vec<_>>()
    };
    // `array[block * n + j] = values[j]` for the n words of a block.
    let assign = |array: &str, values: Vec<Expr>| {
        let n = values.len() as u32;
        values
            .into_iter()
            .enumerate()
            .map(|(j, value)| {
                let index = Expr::name("block")
                    .times(Expr::U32(n))
                    .plus(Expr::U32(j as u32));
                Stmt::Assign(Expr::name(array).index(index), value)
            })
            .collect::<Vec<_>>()
    };
    let field = assign(
        "field",
        words_of(channels, "pack_f32", &|p, k| {
            point(p, &|h| h.member("z").index(Expr::U32(k as u32)))
        }),
    );
    let mut boundary = assign(
        "classes",
        words_of(1, "pack_u32", &|p, _| point(p, &|h| h.member("winner"))),
    );
    boundary.extend(assign(
        "signs",
        words_of(words, "pack_u32", &|p, w| {
            point(p, &|h| h.member("signs").index(Expr::U32(w as u32)))
        }),
    ));
    Function {
        doc: vec![
            "Stores eight cells starting at `first` (a multiple of 8) as 32-byte words:".into(),
            "llvmpipe runs one loop over the SIMD lanes per store, so wider stores are fewer loops.".into(),
        ],
        name: "store_packed".into(),
        params: vec![
            ("first".into(), Ty::U32),
            ("a".into(), Ty::Named("Outputs")),
            ("b".into(), Ty::Named("Outputs")),
        ],
        ret: None,
        body: vec![
            Stmt::let_("block", Expr::name("first").bin(BinOp::Div, Expr::U32(8))),
            Stmt::If(Expr::name("WRITE_FIELD"), field),
            Stmt::If(Expr::name("WRITE_CLASSES"), boundary),
        ],
    }
}
