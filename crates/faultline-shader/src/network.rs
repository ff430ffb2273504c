//! The network half of a grid kernel: `fn evaluate(x: V, y: V, cell: u32, lanes: u32)`.
//!
//! Two forms, chosen by size:
//! - unrolled: every weight is a literal in straight-line code and every neuron a `let`
//!   (values stay in registers; no arrays, no loads). Fast to run and to compile for
//!   small and medium nets: on lavapipe a 2-64-64-10 net compiles in well under 2 s.
//! - looped: weights in a storage buffer, layers as loops over function-scope arrays.
//!   Compiles in milliseconds at any size, runs slower; used above [`UNROLL_LIMIT`].

use faultline_model::{Activation, Layer, Mlp, pair_count};

use crate::wgsl::{BinOp, Expr, Function, Stmt, Ty};

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

/// u32 words per cell for the pair sign mask of `channels` outputs (at least 1).
pub fn sign_words(channels: usize) -> usize {
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
        Activation::LeakyRelu => Expr::call("leaky_relu", vec![value]),
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
    body.extend(argmax_and_signs(channels, &z));
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
fn packed_network(mlp: &Mlp, form: Form, row: bool) -> Function {
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
    body.extend(argmax_and_signs(channels, &z));
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
fn row_sigmoid(layer: &Layer, o: usize, body: &mut Vec<Stmt>, name: String) {
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

/// Straight-line layers: `a{k}_{o}` per hidden neuron, `z{o}` per output.
fn unrolled_layers(mlp: &Mlp) -> Vec<Stmt> {
    unrolled_layers_from(mlp, false)
}

/// [`unrolled_layers`], with the first layer shared along a row ([`row_sigmoid`]) when
/// `row`.
fn unrolled_layers_from(mlp: &Mlp, row: bool) -> Vec<Stmt> {
    let mut body = Vec::new();
    let last = mlp.layers().len() - 1;
    let mut inputs: Vec<Expr> = vec![Expr::name("x"), Expr::name("y")];
    for (k, layer) in mlp.layers().iter().enumerate() {
        body.push(Stmt::Comment(format!(
            "layer {k}: {} -> {}, {}",
            layer.inputs, layer.outputs, layer.activation
        )));
        let name = |o: usize| {
            if k == last {
                format!("z{o}")
            } else {
                format!("a{k}_{o}")
            }
        };
        let pre = |o: usize| {
            if layer.activation == Activation::Softmax {
                format!("l{o}")
            } else {
                name(o)
            }
        };
        for o in 0..layer.outputs {
            if row && k == 0 {
                row_sigmoid(layer, o, &mut body, name(o));
                continue;
            }
            let mut terms = vec![v(Expr::F32(layer.bias[o]))];
            terms.extend(
                inputs
                    .iter()
                    .enumerate()
                    .map(|(i, input)| input.clone().times(Expr::F32(layer.w(o, i)))),
            );
            body.push(Stmt::let_(
                pre(o),
                activate(layer.activation, Expr::sum(terms)),
            ));
        }
        if layer.activation == Activation::Softmax {
            body.extend(unrolled_softmax(layer.outputs));
        }
        inputs = (0..layer.outputs).map(|o| Expr::name(name(o))).collect();
    }
    body
}

/// `z{o} = exp(l{o} - m) / sum` from the logits `l{o}`.
fn unrolled_softmax(n: usize) -> Vec<Stmt> {
    let mut body = Vec::new();
    let mut max = Expr::name("l0");
    for o in 1..n {
        max = Expr::call("max", vec![max, Expr::name(format!("l{o}"))]);
    }
    body.push(Stmt::let_("lmax", max));
    for o in 0..n {
        body.push(Stmt::let_(
            format!("e{o}"),
            Expr::call(
                "exp",
                vec![Expr::name(format!("l{o}")).bin(BinOp::Sub, Expr::name("lmax"))],
            ),
        ));
    }
    body.push(Stmt::let_(
        "esum",
        Expr::sum((0..n).map(|o| Expr::name(format!("e{o}"))).collect()),
    ));
    for o in 0..n {
        body.push(Stmt::let_(
            format!("z{o}"),
            Expr::name(format!("e{o}")).bin(BinOp::Div, Expr::name("esum")),
        ));
    }
    body
}

/// Loops over the `weights` buffer; outputs end in `var z: array<V, C>`.
fn looped_layers(mlp: &Mlp) -> Vec<Stmt> {
    let widest = mlp.layers().iter().map(|l| l.outputs).max().unwrap_or(1) as u32;
    let channels = mlp.outputs() as u32;
    let zeroed =
        |name: &str, ty: Ty| Stmt::Var(name.into(), ty, Expr::call(ty.to_string(), vec![]));
    let mut body = vec![
        zeroed("h_in", Ty::LaneArray(widest.max(2))),
        zeroed("h_out", Ty::LaneArray(widest)),
        zeroed("z", Ty::LaneArray(channels)),
        Stmt::Assign(Expr::name("h_in").index(Expr::U32(0)), Expr::name("x")),
        Stmt::Assign(Expr::name("h_in").index(Expr::U32(1)), Expr::name("y")),
    ];
    let last = mlp.layers().len() - 1;
    let mut offset = 0u32;
    for (k, layer) in mlp.layers().iter().enumerate() {
        let (inputs, outputs) = (layer.inputs as u32, layer.outputs as u32);
        let bias_offset = offset + inputs * outputs;
        body.push(Stmt::Comment(format!(
            "layer {k}: {inputs} -> {outputs}, {}; weights at {offset}, biases at {bias_offset}",
            layer.activation
        )));
        let target = if k == last { "z" } else { "h_out" };
        let w_index = Expr::U32(offset)
            .plus(Expr::name("o").times(Expr::U32(inputs)))
            .plus(Expr::name("i"));
        body.push(Stmt::For(
            "o".into(),
            Expr::U32(outputs),
            vec![
                Stmt::Var(
                    "acc".into(),
                    Ty::Lane,
                    v(Expr::name("weights").index(Expr::U32(bias_offset).plus(Expr::name("o")))),
                ),
                Stmt::For(
                    "i".into(),
                    Expr::U32(inputs),
                    vec![Stmt::Assign(
                        Expr::name("acc"),
                        Expr::name("acc").plus(
                            Expr::name("h_in")
                                .index(Expr::name("i"))
                                .times(Expr::name("weights").index(w_index)),
                        ),
                    )],
                ),
                Stmt::Assign(
                    Expr::name(target).index(Expr::name("o")),
                    activate(layer.activation, Expr::name("acc")),
                ),
            ],
        ));
        if layer.activation == Activation::Softmax {
            body.extend(looped_softmax(outputs));
        }
        if k != last {
            body.push(Stmt::For(
                "o".into(),
                Expr::U32(outputs),
                vec![Stmt::Assign(
                    Expr::name("h_in").index(Expr::name("o")),
                    Expr::name("h_out").index(Expr::name("o")),
                )],
            ));
        }
        offset = bias_offset + outputs;
    }
    body
}

/// Softmax over `z` in place.
fn looped_softmax(n: u32) -> Vec<Stmt> {
    let zo = || Expr::name("z").index(Expr::name("o"));
    vec![
        Stmt::Var("lmax".into(), Ty::Lane, Expr::name("z").index(Expr::U32(0))),
        Stmt::For(
            "o".into(),
            Expr::U32(n),
            vec![Stmt::Assign(
                Expr::name("lmax"),
                Expr::call("max", vec![Expr::name("lmax"), zo()]),
            )],
        ),
        Stmt::Var("esum".into(), Ty::Lane, v(Expr::F32(0.0))),
        Stmt::For(
            "o".into(),
            Expr::U32(n),
            vec![
                Stmt::Assign(
                    zo(),
                    Expr::call("exp", vec![zo().bin(BinOp::Sub, Expr::name("lmax"))]),
                ),
                Stmt::Assign(Expr::name("esum"), Expr::name("esum").plus(zo())),
            ],
        ),
        Stmt::For(
            "o".into(),
            Expr::U32(n),
            vec![Stmt::Assign(zo(), zo().bin(BinOp::Div, Expr::name("esum")))],
        ),
    ]
}

/// `class` (argmax, lowest index on ties) and `s{w}` (sign words), unrolled over C.
fn argmax_and_signs(channels: usize, z: &dyn Fn(usize) -> Expr) -> Vec<Stmt> {
    let mut body = vec![
        Stmt::Comment("argmax, the lowest index winning ties".into()),
        Stmt::Var("best".into(), Ty::Lane, z(0)),
        Stmt::Var("winner".into(), Ty::LaneU, vu(Expr::U32(0))),
    ];
    for k in 1..channels {
        let better = format!("better{k}");
        body.push(Stmt::let_(
            &*better,
            z(k).bin(BinOp::Gt, Expr::name("best")),
        ));
        body.push(Stmt::Assign(
            Expr::name("best"),
            Expr::call(
                "select",
                vec![Expr::name("best"), z(k), Expr::name(&*better)],
            ),
        ));
        body.push(Stmt::Assign(
            Expr::name("winner"),
            Expr::call(
                "select",
                vec![
                    Expr::name("winner"),
                    vu(Expr::U32(k as u32)),
                    Expr::name(&*better),
                ],
            ),
        ));
    }
    let words = sign_words(channels);
    body.push(Stmt::Comment(
        "pair signs: bit p(i, j) set iff z_i - z_j > 0".into(),
    ));
    for w in 0..words {
        body.push(Stmt::Var(format!("s{w}"), Ty::LaneU, vu(Expr::U32(0))));
    }
    let mut p = 0;
    for i in 0..channels {
        for j in i + 1..channels {
            let word = format!("s{}", p / 32);
            let positive = z(i).bin(BinOp::Sub, z(j)).bin(BinOp::Gt, v(Expr::F32(0.0)));
            body.push(Stmt::Assign(
                Expr::name(&*word),
                Expr::name(&*word).bin(
                    BinOp::Or,
                    Expr::call(
                        "select",
                        vec![vu(Expr::U32(0)), vu(Expr::U32(1 << (p % 32))), positive],
                    ),
                ),
            ));
            p += 1;
        }
    }
    body
}

/// Per-lane stores of the field, class and sign words.
fn stores(channels: usize, lanes: u32, z: &dyn Fn(usize) -> Expr) -> Vec<Stmt> {
    let words = sign_words(channels) as u32;
    let mut body = vec![Stmt::Comment(
        "stores, lane by lane (the last group of a row may be partial)".into(),
    )];
    for l in 0..lanes {
        let index = Expr::name("cell").plus(Expr::U32(l));
        let mut lane_body = vec![Stmt::let_(format!("i{l}"), index)];
        let i = || Expr::name(format!("i{l}"));
        let field: Vec<Stmt> = (0..channels)
            .map(|k| {
                Stmt::Assign(
                    Expr::name("field").index(
                        i().times(Expr::U32(channels as u32))
                            .plus(Expr::U32(k as u32)),
                    ),
                    lane_of(z(k), lanes, l),
                )
            })
            .collect();
        lane_body.push(Stmt::If(
            Expr::name("params.write_field").bin(BinOp::Gt, Expr::U32(0)),
            field,
        ));
        let mut boundary_inputs = vec![Stmt::Assign(
            Expr::name("classes").index(i()),
            lane_of(Expr::name("winner"), lanes, l),
        )];
        for w in 0..words {
            boundary_inputs.push(Stmt::Assign(
                Expr::name("signs").index(i().times(Expr::U32(words)).plus(Expr::U32(w))),
                lane_of(Expr::name(format!("s{w}")), lanes, l),
            ));
        }
        lane_body.push(Stmt::If(
            Expr::name("params.write_classes").bin(BinOp::Gt, Expr::U32(0)),
            boundary_inputs,
        ));
        if l == 0 {
            body.extend(lane_body);
        } else {
            body.push(Stmt::If(
                Expr::name("lanes").bin(BinOp::Gt, Expr::U32(l)),
                lane_body,
            ));
        }
    }
    body
}
