//! Float constants of an ONNX graph as the walk folds them: transposed, combined
//! element-wise, read from attributes, added as a bias.

use super::messages::{Node, Tensor};

/// A 2-D float constant transposed (perm absent or `[1, 0]`).
pub(super) fn transpose(t: &Tensor, n: &Node) -> Option<Tensor> {
    let perm = n
        .attributes
        .iter()
        .find(|a| a.name == "perm")
        .map(|a| &a.ints);
    let [rows, cols] = t.dims[..] else {
        return None;
    };
    if perm.is_some_and(|p| p[..] != [1, 0]) || t.floats.len() as u64 != rows * cols {
        return None;
    }
    let (rows, cols) = (rows as usize, cols as usize);
    let floats = (0..cols)
        .flat_map(|c| (0..rows).map(move |r| (r, c)))
        .map(|(r, c)| t.floats[r * cols + c])
        .collect();
    Some(Tensor {
        dims: vec![cols as u64, rows as u64],
        floats,
        ..t.clone()
    })
}

/// `a op b` for float constants of one shape, or one of them a single number.
pub(super) fn elementwise(op: &str, a: &Tensor, b: &Tensor) -> Option<Tensor> {
    let f = |x: f64, y: f64| match op {
        "Mul" => x * y,
        "Add" => x + y,
        "Sub" => x - y,
        _ => x / y,
    };
    let (fa, fb) = (&a.floats, &b.floats);
    let (floats, dims) = match (fa.len(), fb.len()) {
        (0, _) | (_, 0) => return None,
        (n, m) if n == m && a.dims == b.dims => (
            fa.iter().zip(fb).map(|(&x, &y)| f(x, y)).collect(),
            a.dims.clone(),
        ),
        (_, 1) => (fa.iter().map(|&x| f(x, fb[0])).collect(), a.dims.clone()),
        (1, _) => (fb.iter().map(|&y| f(fa[0], y)).collect(), b.dims.clone()),
        _ => return None,
    };
    Some(Tensor {
        name: String::new(),
        dims,
        floats,
        ints: Vec::new(),
        strings: Vec::new(),
    })
}

pub(super) fn casts_to_float(n: &Node) -> bool {
    // TensorProto.FLOAT = 1, DOUBLE = 11, FLOAT16 = 10.
    n.attributes
        .iter()
        .find(|a| a.name == "to")
        .and_then(|a| a.i)
        .is_some_and(|to| matches!(to, 1 | 10 | 11))
}

pub(super) fn floats_attr(n: &Node, name: &str) -> Vec<f64> {
    n.attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.floats.iter().map(|&v| f64::from(v)).collect())
        .unwrap_or_default()
}

pub(super) fn add_bias(bias: &mut [f64], c: &Tensor, beta: f64) -> Result<(), String> {
    match c.floats.len() {
        1 => bias.iter_mut().for_each(|b| *b += beta * c.floats[0]),
        n if n == bias.len() => bias
            .iter_mut()
            .zip(&c.floats)
            .for_each(|(b, v)| *b += beta * v),
        n => return Err(format!("a bias of {n} values for {} outputs", bias.len())),
    }
    Ok(())
}
