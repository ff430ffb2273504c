//! What every kernel records per point besides the field: the class (argmax, lowest
//! index on ties), the pair sign words, and the lane-by-lane stores.

use super::*;
use crate::wgsl::{BinOp, Expr, Stmt, Ty};

/// `class` (argmax, lowest index on ties) and `s{w}` (sign words), unrolled over C. One
/// output is a binary classifier: class 1 where it is above `threshold` (the rule of
/// `faultline_model::arrays::class_of`).
pub(super) fn argmax_and_signs(
    channels: usize,
    threshold: f32,
    z: &dyn Fn(usize) -> Expr,
) -> Vec<Stmt> {
    if channels == 1 {
        return vec![
            Stmt::Comment("one output: class 1 above the threshold".into()),
            Stmt::Var(
                "winner".into(),
                Ty::LaneU,
                Expr::call(
                    "select",
                    vec![
                        vu(Expr::U32(0)),
                        vu(Expr::U32(1)),
                        z(0).bin(BinOp::Gt, v(Expr::F32(threshold))),
                    ],
                ),
            ),
            Stmt::Var("s0".into(), Ty::LaneU, vu(Expr::U32(0))),
        ];
    }
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
    for w in 0..words {
        body.push(Stmt::Var(format!("s{w}"), Ty::LaneU, vu(Expr::U32(0))));
    }
    if !faultline_model::arrays::tracks_crossings(channels) {
        body.push(Stmt::Comment(format!(
            "{channels} outputs: crossings are not tracked, the sign word stays 0"
        )));
        return body;
    }
    body.push(Stmt::Comment(
        "pair signs: bit p(i, j) set iff z_i - z_j > 0".into(),
    ));
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
pub(super) fn stores(channels: usize, lanes: u32, z: &dyn Fn(usize) -> Expr) -> Vec<Stmt> {
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
        lane_body.push(Stmt::If(Expr::name("WRITE_FIELD"), field));
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
        // `|| params.tile_rows == 0u` keeps the condition from folding to a constant: with
        // WRITE_CLASSES false and the class and sign code dead, llvmpipe's build of the
        // lane kernel ran 2.3x slower (a 2-64-64-10 net at 2048^2: 3.1 M points/s against
        // 7.2 M; BENCHMARKS.md). Nothing is dispatched for an empty tile, so the meaning is
        // WRITE_CLASSES's.
        lane_body.push(Stmt::If(
            Expr::name("(WRITE_CLASSES || params.tile_rows == 0u)"),
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
