//! The layers of a network as WGSL statements: unrolled (weights as literals) or looped
//! (weights read from the storage buffer), softmax included.

use faultline_model::Mlp;

use super::*;
use crate::wgsl::{BinOp, Expr, Stmt, Ty};

/// Straight-line layers: `a{k}_{o}` per hidden neuron, `z{o}` per output.
pub(super) fn unrolled_layers(mlp: &Mlp) -> Vec<Stmt> {
    unrolled_layers_from(mlp, false)
}

/// [`unrolled_layers`], with the first layer shared along a row ([`row_sigmoid`]) when
/// `row`.
pub(super) fn unrolled_layers_from(mlp: &Mlp, row: bool) -> Vec<Stmt> {
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
pub(super) fn unrolled_softmax(n: usize) -> Vec<Stmt> {
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
pub(super) fn looped_layers(mlp: &Mlp) -> Vec<Stmt> {
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
pub(super) fn looped_softmax(n: u32) -> Vec<Stmt> {
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
